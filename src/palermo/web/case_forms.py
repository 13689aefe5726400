"""Case workflows in the browser: open a case, then add tasks and notes and set its status.

Every form calls the same functions of `palermo.coordination.cases` as the REST API, as the
logged-in user, so the browser is allowed exactly what the API allows (the lead/member/
observer rules live there, not here). A refused or malformed input re-renders the form with
the values typed and a message next to the field it names (the coordination functions start
their messages with the field), never a traceback. Every POST carries the session's CSRF
token (router dependency, as in `web/routes.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_store
from palermo.api.schemas import ID, LINE, MAX_ITEMS, SHORT, TEXT
from palermo.coordination import cases
from palermo.coordination.case_court import case_court_outcomes
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.web.coord_form_kit import form_data
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ROLE_PREFIX = "role_"  # the new-case form's per-agency team select: role_<AGENCY CODE>
# statement property names in messages of the store -> the form's field names
PROP_FIELDS = {"caseNumber": "case_number", "exploitationForm": "exploitation_form"}
NEW_FIELDS = ("case_number", "title", "exploitation_form", "subjects", "team", "country")


@dataclass
class Problem:
    """A refused form: the message, the field it names ("" when none) and the HTTP status."""

    text: str
    field: str = ""
    status: int = 422

    @classmethod
    def of(cls, exc: Exception, fields: tuple[str, ...]) -> Problem:
        """The first line of the refusal, placed next to the field it starts with."""
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        name = text.split(":", 1)[0].strip()
        name = PROP_FIELDS.get(name, name)
        if name == "case_id":
            name = ""
        status = 403 if isinstance(exc, AccessDenied) else 422
        return cls(text, name if name in fields else "", status)

    def errors(self) -> dict[str, str]:
        return {self.field or "form": self.text}


@dataclass
class NewCase:
    """The new-case form's values, as typed (re-shown when the form is refused)."""

    case_number: str = ""
    title: str = ""
    exploitation_form: str = ""
    subjects: str = ""
    description: str = ""
    country: str = ""
    team: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: FormData) -> NewCase:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        team = {
            key[len(ROLE_PREFIX) :]: value
            for key, value in form.multi_items()
            if key.startswith(ROLE_PREFIX) and isinstance(value, str) and value
        }
        return cls(
            text("case_number"),
            text("title"),
            text("exploitation_form"),
            text("subjects"),
            text("description"),
            text("country"),
            team,
        )

    def subject_ids(self) -> list[str]:
        """One entity id per line (or separated by commas); blanks dropped."""
        return [s.strip() for s in self.subjects.replace(",", "\n").splitlines() if s.strip()]

    def check(self) -> Problem | None:
        """What the API's pydantic model refuses, said per field (lengths, counts), plus
        the title the API would take empty but a case page cannot show."""
        limits = {"case_number": LINE, "title": LINE, "exploitation_form": LINE}
        for name, limit in (*limits.items(), ("country", SHORT), ("description", TEXT)):
            if len(getattr(self, name)) > limit:
                return Problem(f"{name}: longer than {limit} characters", name)
        if not self.title:
            return Problem("title: give the case a title", "title")
        ids = self.subject_ids()
        if len(ids) > MAX_ITEMS or any(len(s) > ID for s in ids):
            return Problem(f"subjects: at most {MAX_ITEMS} ids of {ID} characters", "subjects")
        if len(self.team) > MAX_ITEMS or any(len(a) > SHORT for a in self.team):
            return Problem(f"team: at most {MAX_ITEMS} agencies", "team")
        return None


def login_first(request: Request) -> Viewer | None:
    return optional_viewer(request)


# --- open a case ------------------------------------------------------------------------


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request, subject: str = "") -> Response:
    viewer = login_first(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    values = NewCase(case_number=cases.new_case_number(viewer), subjects=subject[:ID])
    return _new_form(request, viewer, values, {})


@router.post("/cases/new", response_class=HTMLResponse)
def create_case(request: Request, form: Annotated[FormData, Depends(form_data)]) -> Response:
    """Open the case with `cases.open_case` (as the API's POST /api/v1/cases); the
    description, if any, becomes the case's first note (`cases.add_note`, as the API's)."""
    viewer = login_first(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    values = NewCase.of(form)
    problem = values.check()
    if problem is None:
        try:
            case_id = _open(request, viewer, values)
        except (ValueError, AccessDenied, NotVisible) as exc:
            problem = Problem.of(exc, NEW_FIELDS)
        else:
            return RedirectResponse(f"/cases/{id_path(case_id)}", status_code=303)
    response = _new_form(request, viewer, values, problem.errors())
    response.status_code = problem.status
    return response


def _open(request: Request, viewer: Viewer, values: NewCase) -> str:
    store = store_of(request)
    case_id = cases.open_case(
        store,
        viewer,
        values.case_number,
        values.title,
        values.exploitation_form,
        values.subject_ids(),
        values.team,
        values.country or None,
    )
    if values.description:
        cases.add_note(store, viewer, case_id, values.description)
    return case_id


def _new_form(
    request: Request, viewer: Viewer, values: NewCase, errors: dict[str, str]
) -> HTMLResponse:
    partners = [a for a in store_of(request).agencies() if a.code != viewer.agency]
    return page(
        request,
        "case_form.html",
        values=values,
        errors=errors,
        partners=partners,
        roles=[r for r in cases.ROLES if r != "lead"],
        forms=EXPLOITATION_FORMS,
    )


# --- the case page and its forms -------------------------------------------------------


@router.get("/cases/{case_id:path}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str) -> Response:
    viewer = login_first(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return _case(request, viewer, case_id, {}, {})


@router.post("/cases/{case_id:path}/tasks", response_class=HTMLResponse)
def add_task(
    request: Request,
    case_id: str,
    title: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
) -> Response:
    """A task, as the API's POST /api/v1/cases/{id}/tasks (lead and members only)."""
    values = {"title": title, "assignee": assignee, "due": due}

    def run(viewer: Viewer) -> None:
        problem = _task_problem(title, assignee, due)
        if problem is not None:
            raise problem
        when = date.fromisoformat(due.strip()).isoformat() if due.strip() else None
        cases.add_task(store_of(request), viewer, case_id, title.strip(), assignee.strip(), when)

    return _post(request, case_id, "task", values, ("title", "assignee", "due"), run)


@router.post("/cases/{case_id:path}/notes", response_class=HTMLResponse)
def add_note(request: Request, case_id: str, text: Annotated[str, Form()] = "") -> Response:
    """A note, as the API's POST /api/v1/cases/{id}/notes (lead and members only)."""

    def run(viewer: Viewer) -> None:
        if not text.strip():
            raise FieldError("text: write the note first")
        if len(text) > TEXT:
            raise FieldError(f"text: longer than {TEXT} characters")
        cases.add_note(store_of(request), viewer, case_id, text.strip())

    return _post(request, case_id, "note", {"text": text}, ("text",), run)


@router.post("/cases/{case_id:path}/status", response_class=HTMLResponse)
def change_status(request: Request, case_id: str, status: Annotated[str, Form()] = "") -> Response:
    """Open, suspend or close the case (`cases.set_status`: the lead agency only, as the
    API's close and reopen); the store write is audited as ``set.caseStatus``."""

    def run(viewer: Viewer) -> None:
        cases.set_status(store_of(request), viewer, case_id, status[:SHORT])

    return _post(request, case_id, "status", {"status": status}, ("status",), run)


class FieldError(ValueError):
    """A form check of this module, worded like the coordination functions' errors."""


def _task_problem(title: str, assignee: str, due: str) -> FieldError | None:
    if not title.strip():
        return FieldError("title: give the task a title")
    if len(title) > LINE or len(assignee) > LINE:
        name = "title" if len(title) > LINE else "assignee"
        return FieldError(f"{name}: longer than {LINE} characters")
    if due.strip():
        try:
            date.fromisoformat(due.strip())
        except ValueError:
            return FieldError(f"due: {due[:40]!r} is not a date (YYYY-MM-DD)")
    return None


def _post(
    request: Request,
    case_id: str,
    form_name: str,
    values: dict[str, str],
    fields: tuple[str, ...],
    run: Callable[[Viewer], None],
) -> Response:
    """Run one case form; on success back to the case page, else the page again with the
    message next to the field of that form."""
    viewer = login_first(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        run(viewer)
    except NotVisible:
        return _missing(request, case_id)
    except (ValueError, AccessDenied) as exc:
        problem = Problem.of(exc, fields)
        errors = {form_name: problem.errors()}
        response = _case(request, viewer, case_id, errors, {form_name: values})
        if response.status_code == 200:
            response.status_code = problem.status
        return response
    return RedirectResponse(f"/cases/{id_path(case_id)}#{form_name}s", status_code=303)


def _case(
    request: Request,
    viewer: Viewer,
    case_id: str,
    errors: dict[str, dict[str, str]],
    values: dict[str, dict[str, str]],
) -> HTMLResponse:
    # read for the session's purpose (H0, ADR 0051); the forms' writes judge every value
    file = cases.case_file(session_store(request), viewer, case_id)
    if file is None or file.case.schema != "InvestigationCase":
        return _missing(request, case_id)
    # what the courts did with the case's subjects (issue 20), read the same way
    court = case_court_outcomes(session_store(request), viewer, file.case)
    team = cases.team_of(file.case)
    lead = next((v.agency for v in file.case.properties.get("caseNumber", [])), "")
    role = "lead" if viewer.agency == lead else team.get(viewer.agency, "")
    return page(
        request,
        "case.html",
        file=file,
        team=team,
        lead=lead,
        role=role,
        statuses=cases.STATUSES,
        agencies=store_of(request).agencies(),  # the lead's add-to-team choices
        errors=errors,
        values=values,
        court=court,
    )


def _missing(request: Request, case_id: str) -> HTMLResponse:
    response = page(request, "missing.html", entity_id=case_id)
    response.status_code = 404
    return response
