"""What the operation, MLA, notice and message forms share: reading the posted form,
turning a refusal of the coordination functions into the right page, picking persons.

The forms call the same coordination functions as the REST API, as the logged-in user, so
the browser is allowed exactly what the API allows. Those functions say why they refuse in
one line starting with the field (``deadline: ...``); here that becomes:

* `ValueError` (bad input): the form again, 422, the values as typed and the message next
  to the field it names (or above the form when it names none of the form's fields);
* `AccessDenied` (the API's 403): a "Not allowed" page with the reason, 403;
* `NotVisible` (the API's 404): the "not found" page, 404, which says the same for
  "missing" and "not yours".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.store.store import Store
from palermo.web.render import page

FIND_LIMIT = 10  # persons offered per search on a form
FieldMap = Callable[[str], str]


class FieldError(ValueError):
    """A check of a form, worded like the coordination functions' errors ("field: why");
    `field` names the form control when it is not the message's first word (one row of a
    per-agency table, say)."""

    def __init__(self, text: str, field: str = "") -> None:
        super().__init__(text)
        self.field = field


@dataclass(frozen=True)
class Refusal:
    """A refused form: the message and the form field it belongs next to ("form": none)."""

    text: str
    field: str

    @classmethod
    def of(cls, exc: Exception, fields: tuple[str, ...], rename: FieldMap | None = None) -> Refusal:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        name = text.split(":", 1)[0].strip()
        name = rename(name) if rename else name
        name = getattr(exc, "field", "") or name
        return cls(text, name if name in fields else "form")

    def errors(self) -> dict[str, str]:
        return {self.field: self.text}


async def form_data(request: Request) -> FormData:
    """The posted form (already parsed, and cached, by the CSRF check)."""
    return await request.form()


def text(form: FormData, name: str) -> str:
    """One text field of the posted form, stripped ("" when absent or a file)."""
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), stripped, blanks dropped."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def ids_of(raw: str) -> list[str]:
    """Entity ids, one a line or separated by commas; blanks dropped, order kept, no repeats."""
    return list(dict.fromkeys(s.strip() for s in re.split(r"[\n,]", raw) if s.strip()))


def refused_page(request: Request, exc: AccessDenied | NotVisible, what: str = "") -> Response:
    """The API's 403 or 404 as a page (the reason of a 403 names what was refused)."""
    if isinstance(exc, NotVisible):
        response = page(request, "missing.html", entity_id=what)
        response.status_code = 404
        return response
    response = page(request, "message.html", title="Not allowed", text=str(exc).splitlines()[0])
    response.status_code = 403
    return response


def signed_in(request: Request) -> Viewer | None:
    return optional_viewer(request)


def to_login() -> Response:
    return RedirectResponse("/login", status_code=303)


def with_status(response: HTMLResponse, status: int) -> HTMLResponse:
    response.status_code = status
    return response


def person_choices(
    store: Store, viewer: Viewer, find: str, chosen: list[str]
) -> tuple[list[tuple[str, str]], str]:
    """The persons a form offers to pick: those already chosen that the viewer can see,
    then up to FIND_LIMIT found by name or identifier with the same search as /search (as
    the viewer: nothing it may not read). Returns (id, caption) pairs and a search error."""
    out: dict[str, str] = {}
    purpose = store.read_purpose  # the store the page passes is bound to its session's
    for entity_id in chosen:
        found = store.entity(viewer, entity_id, purpose=purpose)
        if found is not None and found.schema == "Person":
            out[found.id] = found.caption
    error = ""
    if len(find.strip()) >= 2:
        try:
            hits = store.search(
                viewer, find.strip(), schema="Person", limit=FIND_LIMIT, purpose=purpose
            )
            for found in hits:
                out.setdefault(found.id, found.caption)
        except ValueError as exc:
            error = str(exc).splitlines()[0]
    return list(out.items()), error


def visible_persons(store: Store, viewer: Viewer, ids: list[str], field: str) -> None:
    """Every id names a person the viewer can see, else a FieldError naming the field."""
    for entity_id in ids:  # a check of the ids, not a page: every value
        found = store.entity(viewer, entity_id, purpose=None)
        if found is None or found.schema != "Person":
            raise FieldError(f"{field}: no visible person {entity_id[:80]!r}")


def store_for(request: Request) -> Store:
    return store_of(request)
