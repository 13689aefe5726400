"""Joint operations in the browser: plan one, change its plan, report results per agency.

Planning calls `operations.plan_operation` and reporting `operations.report_result`, as
the API's POST /api/v1/operations and /operations/{id}/results do, as the logged-in user:
so an agency reports only for the country it takes part for (403 otherwise), exactly as in
the API. Changing a plan (`operation_changes.amend_operation`) is the coordinator's alone.
Targets are picked from persons the viewer can see (found with the same search as /search);
an id the viewer cannot see is refused next to the field. Every POST carries the session's
CSRF token (router dependency).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import store_of
from palermo.api.read_purpose import session_store
from palermo.api.schemas import ID, LINE, MAX_INT, MAX_ITEMS, SHORT, TEXT
from palermo.coordination import operations
from palermo.coordination.operation_changes import amend_operation, planned_operation
from palermo.coordination.operations import Participant
from palermo.store.directory import Agency
from palermo.store.views import Entity
from palermo.web.coord_form_kit import (
    FieldError,
    Refusal,
    form_data,
    person_choices,
    refused_page,
    signed_in,
    text,
    texts,
    to_login,
    visible_persons,
    with_status,
)
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ZONE_TABLE = Path("/usr/share/zoneinfo/zone.tab")
LOCAL_TIME = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


Posted = Annotated[FormData, Depends(form_data)]


@cache
def zones() -> list[str]:
    return sorted(available_timezones())


@cache
def country_zones() -> dict[str, str]:
    """A country's first time zone in the system's zone.tab (DE -> Europe/Berlin): the
    default offered for a participant, which the planner may change."""
    out: dict[str, str] = {}
    if ZONE_TABLE.exists():
        for line in ZONE_TABLE.read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            if len(cells) >= 3 and not line.startswith("#"):
                out.setdefault(cells[0].upper(), cells[2])
    return out


def zone_of(country: str) -> str:
    return country_zones().get(country.upper(), "UTC")


@dataclass
class Row:
    """One agency of the directory in the participants table, as typed."""

    agency: Agency
    taking_part: bool
    country: str
    timezone: str


@dataclass
class Plan:
    """The plan form's values, as typed (shown again when the form is refused)."""

    name: str = ""
    action_time: str = ""
    action_zone: str = "UTC"
    targets: list[str] = field(default_factory=list)
    target_notes: str = ""
    case_id: str = ""
    find: str = ""
    rows: list[Row] = field(default_factory=list)

    @classmethod
    def blank(cls, agencies: list[Agency], viewer: Viewer) -> Plan:
        own = next((a for a in agencies if a.code == viewer.agency), None)
        rows = [Row(a, a.code == viewer.agency, a.country, zone_of(a.country)) for a in agencies]
        return cls(action_zone=zone_of(own.country) if own else "UTC", rows=rows)

    @classmethod
    def of(cls, form: FormData, agencies: list[Agency]) -> Plan:
        rows = [
            Row(
                a,
                bool(text(form, f"take_{a.code}")),
                text(form, f"country_{a.code}"),
                text(form, f"timezone_{a.code}"),
            )
            for a in agencies
        ]
        return cls(
            text(form, "name"),
            text(form, "action_time"),
            text(form, "action_zone") or "UTC",
            texts(form, "targets"),
            text(form, "target_notes"),
            text(form, "case_id"),
            text(form, "find"),
            rows,
        )

    @classmethod
    def of_operation(cls, op: Entity, agencies: list[Agency], viewer: Viewer) -> Plan:
        """The stored plan, as the form shows it (the action time in the coordinator's zone)."""
        taking = {p.agency: p for p in operations._participants(op)}
        rows = []
        for a in agencies:
            p = taking.get(a.code)
            rows.append(
                Row(
                    a,
                    p is not None,
                    p.country if p else a.country,
                    p.timezone if p else zone_of(a.country),
                )
            )
        own = taking.get(viewer.agency)
        zone = own.timezone if own else "UTC"
        when = datetime.fromisoformat(op.first("actionTime") or "").astimezone(ZoneInfo(zone))
        return cls(
            op.first("name") or "",
            when.strftime(LOCAL_TIME),
            zone,
            op.values("targets"),
            op.first("targetNotes") or "",
            op.first("case") or "",
            "",
            rows,
        )

    def fields(self) -> tuple[str, ...]:
        names = ["name", "action_time", "action_zone", "targets", "target_notes", "case_id"]
        for row in self.rows:
            names += [f"country_{row.agency.code}", f"timezone_{row.agency.code}"]
        return (*names, "participants", "find")

    def participants(self) -> list[Participant]:
        return [
            Participant(r.agency.code, r.country.upper(), r.timezone)
            for r in self.rows
            if r.taking_part
        ]

    def when(self) -> datetime:
        """The action time: the local time typed, in the zone chosen (an offset typed wins)."""
        if not self.action_time:
            raise FieldError("action_time: give the date and time of the action")
        try:
            moment = datetime.fromisoformat(self.action_time)
        except ValueError:
            raise FieldError(
                f"action_time: {self.action_time[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone(self.action_zone, "action_zone"))
        return moment

    def check(self, request: Request, viewer: Viewer) -> None:
        """What the API's pydantic model refuses (lengths, counts), the checks the plan
        function makes, said per row of the participants table, and the targets: persons
        the viewer can see."""
        if not self.name:
            raise FieldError("name: give the operation a name")
        for name, limit in (("name", LINE), ("target_notes", TEXT), ("case_id", ID)):
            if len(getattr(self, name)) > limit:
                raise FieldError(f"{name}: longer than {limit} characters")
        chosen = [r for r in self.rows if r.taking_part]
        if not chosen:
            raise FieldError("participants: tick at least one participating agency")
        for row in chosen:
            code = row.agency.code
            country = row.country.strip()
            if not country or len(country) > SHORT or "|" in country:
                raise FieldError(
                    f"country: {row.country[:40]!r} is not a country code ({code})",
                    f"country_{code}",
                )
            _zone(row.timezone, f"timezone_{code}", code)
        if len(self.targets) > MAX_ITEMS or any(len(t) > ID for t in self.targets):
            raise FieldError(f"targets: at most {MAX_ITEMS} ids of {ID} characters")
        visible_persons(store_of(request), viewer, self.targets, "targets")


def _zone(name: str, field_name: str, agency: str = "") -> ZoneInfo:
    try:
        if not name or len(name) > SHORT:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        where = f" ({agency})" if agency else ""
        raise FieldError(
            f"timezone: {name[:40]!r} is not an IANA time zone, e.g. Europe/Berlin{where}",
            field_name,
        ) from None


# --- plan -------------------------------------------------------------------------------


@router.get("/operations/new", response_class=HTMLResponse)
def new_operation(request: Request, find: str = "") -> Response:
    """The empty plan; ``?target=ID`` pre-ticks a person (from a profile), ``?find=`` looks
    persons up."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = Plan.blank(store_of(request).agencies(), viewer)
    values.targets = [t[:ID] for t in request.query_params.getlist("target")][:MAX_ITEMS]
    values.find = find[:LINE]
    return _plan_form(request, viewer, values, {}, None)


@router.post("/operations/new", response_class=HTMLResponse)
def create_operation(request: Request, form: Posted) -> Response:
    """Plan the operation (`operations.plan_operation`, as the API's POST /operations);
    the "Find persons" button only looks persons up and shows the form again."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = Plan.of(form, store_of(request).agencies())
    if text(form, "do") == "find":
        return _plan_form(request, viewer, values, {}, None)
    try:
        values.check(request, viewer)
        operation_id = operations.plan_operation(
            store_of(request),
            viewer,
            values.name,
            values.participants(),
            values.when(),
            values.targets,
            values.target_notes,
            values.case_id or None,
        )
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, values.case_id)
    except ValueError as exc:
        refusal = Refusal.of(exc, values.fields(), _rename(values))
        return with_status(_plan_form(request, viewer, values, refusal.errors(), None), 422)
    return RedirectResponse(f"/operations/{id_path(operation_id)}", status_code=303)


# --- change the plan --------------------------------------------------------------------


@router.get("/operations/{operation_id:path}/edit", response_class=HTMLResponse)
def edit_operation(request: Request, operation_id: str) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    try:
        op = planned_operation(store_of(request), viewer, operation_id)
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, operation_id)
    values = Plan.of_operation(op, store_of(request).agencies(), viewer)
    return _plan_form(request, viewer, values, {}, op)


@router.post("/operations/{operation_id:path}/edit", response_class=HTMLResponse)
def change_operation(request: Request, operation_id: str, form: Posted) -> Response:
    """Change the plan (coordinator only; 403 for a participant, 404 for anyone else)."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    store = store_of(request)
    try:
        op = planned_operation(store, viewer, operation_id)
        values = Plan.of(form, store.agencies())
        if text(form, "do") == "find":
            return _plan_form(request, viewer, values, {}, op)
        values.check(request, viewer)
        amend_operation(
            store,
            viewer,
            op.id,
            values.name,
            values.participants(),
            values.when(),
            values.targets,
            values.target_notes,
        )
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, operation_id)
    except ValueError as exc:
        refusal = Refusal.of(exc, values.fields(), _rename(values))
        return with_status(_plan_form(request, viewer, values, refusal.errors(), op), 422)
    return RedirectResponse(f"/operations/{id_path(op.id)}", status_code=303)


def _rename(values: Plan) -> Callable[[str], str]:
    """``participants.2.country`` of the plan function -> the table row's country field."""
    chosen = [r.agency.code for r in values.rows if r.taking_part]

    def rename(name: str) -> str:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "participants" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(chosen):
                return f"country_{chosen[index]}"
        return name

    return rename


def _plan_form(
    request: Request,
    viewer: Viewer,
    values: Plan,
    errors: dict[str, str],
    op: Entity | None,
) -> HTMLResponse:
    store = session_store(request)  # the choices show names: the session's purpose
    choices, find_error = person_choices(store, viewer, values.find, values.targets)
    if find_error and "find" not in errors:
        errors = {**errors, "find": find_error}
    return page(
        request,
        "operation_form.html",
        values=values,
        errors=errors,
        choices=choices,
        zones=zones(),
        op=op,
    )


# --- results ----------------------------------------------------------------------------

RESULT_LABELS = {
    "arrests": "Arrests",
    "victimsIdentified": "Victims identified",
    "victimsRescued": "Victims rescued",
    "documentsSeized": "Documents seized",
    "checksPerformed": "Checks performed",
}


@router.get("/operations/{operation_id:path}/results", response_class=HTMLResponse)
def results_form(request: Request, operation_id: str) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    return _results(request, viewer, operation_id, {}, {})


@router.post("/operations/{operation_id:path}/results", response_class=HTMLResponse)
def report_results(request: Request, operation_id: str, form: Posted) -> Response:
    """Report results (`operations.report_result`, as the API's POST
    /operations/{id}/results): a participant, for its own country only (403 otherwise)."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = {name: text(form, name) for name in ("country", *operations.COUNTS)}
    try:
        counts = {name: _count(name, values[name]) for name in operations.COUNTS}
        if not any(counts.values()):
            raise FieldError("arrests: report at least one result (a number above 0)")
        operations.report_result(
            store_of(request), viewer, operation_id, values["country"][:SHORT], **counts
        )
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, operation_id)
    except ValueError as exc:
        if str(exc).startswith("operation_id:"):  # not a visible operation: the API's 404
            return refused_page(request, NotVisible(str(exc)), operation_id)
        refusal = Refusal.of(exc, ("country", *operations.COUNTS))
        return _results(request, viewer, operation_id, refusal.errors(), values, 422)
    return RedirectResponse(f"/operations/{id_path(operation_id)}#results", status_code=303)


def _count(name: str, raw: str) -> int:
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_INT:
        raise FieldError(f"{name}: {raw[:20]!r} is not a whole number of 0 or more")
    return int(raw)


def _results(
    request: Request,
    viewer: Viewer,
    operation_id: str,
    errors: dict[str, str],
    values: dict[str, str],
    status: int = 200,
) -> Response:
    """The results form of a participant: 404 if the operation is not visible, 403 if the
    viewer's agency does not take part (the API's answers to the same agency)."""
    try:
        board = operations.dashboard(session_store(request), viewer, operation_id)
    except ValueError as exc:
        return refused_page(request, NotVisible(str(exc)), operation_id)
    own = sorted({p.country.upper() for p in board.participants if p.agency == viewer.agency})
    if not own:
        denied = AccessDenied(f"operation_id: {viewer.agency} does not take part in {operation_id}")
        return refused_page(request, denied, operation_id)
    mine = board.by_country
    response = page(
        request,
        "operation_results.html",
        board=board,
        own=own,
        mine={c: mine.get(c, {}) for c in own},
        labels=RESULT_LABELS,
        values=values,
        errors=errors,
    )
    return with_status(response, status)
