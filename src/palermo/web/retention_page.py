"""The retention review queue in the browser: keep (for a period, with a reason) or erase.

``GET /retention`` lists the viewer agency's records at review (`retention.queued`, only
its own, selected in the query); ``POST /retention/decide`` keeps or erases one record
through `retention.keep` / `retention.erase` as the logged-in user, exactly as the API's
``/api/v1/retention/{id}/keep|erase``: the same role check, another agency's record is the
"not found" page (404) like a record that is not due, a bad reason or period is the page
again (422) with the message next to that record's field and the values as typed. Every
POST carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import store_of
from palermo.coordination import retention
from palermo.web.coord_form_kit import (
    FieldError,
    Refusal,
    form_data,
    refused_page,
    signed_in,
    text,
    to_login,
    with_status,
)
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
FIELDS = ("decision", "reason", "years")
DECISIONS = ("keep", "erase")


Posted = Annotated[FormData, Depends(form_data)]


def _years(raw: str) -> float | None:
    """The extension typed in the form: empty for one review period."""
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise FieldError(f"years: {raw[:20]!r} is not a number of years") from None


def _decide(request: Request, viewer: Viewer, form: FormData) -> None:
    decision, reason, entity_id = (
        text(form, "decision"),
        text(form, "reason"),
        text(form, "entity_id"),
    )
    if decision not in DECISIONS:
        raise FieldError("decision: choose keep or erase")
    store = store_of(request)
    if decision == "keep":
        retention.keep(store, viewer, entity_id, reason, years=_years(text(form, "years")))
    else:
        retention.erase(store, viewer, entity_id, reason)


@router.get("/retention", response_class=HTMLResponse)
async def review_queue(request: Request) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    return await _render(request, viewer, "", {}, {})


@router.post("/retention/decide", response_class=HTMLResponse)
async def decide(request: Request, form: Posted) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    entity_id = text(form, "entity_id")
    try:
        await run_in_threadpool(_decide, request, viewer, form)
    except NotVisible as exc:
        return refused_page(request, exc, entity_id)
    except AccessDenied as exc:
        return refused_page(request, exc)
    except ValueError as exc:
        refusal = Refusal.of(exc, FIELDS)
        typed = {name: text(form, name) for name in FIELDS}
        response = await _render(request, viewer, entity_id, refusal.errors(), typed)
        return with_status(response, 422)
    return RedirectResponse("/retention", status_code=303)


async def _render(
    request: Request,
    viewer: Viewer,
    failed: str,
    errors: dict[str, str],
    typed: dict[str, str],
) -> HTMLResponse:
    """The queue; ``failed`` is the record whose form is shown again with ``errors``."""
    try:
        items = await run_in_threadpool(retention.queued, store_of(request), viewer)
    except AccessDenied as exc:
        response = refused_page(request, exc)
        assert isinstance(response, HTMLResponse)
        return response
    return page(request, "retention.html", items=items, failed=failed, errors=errors, typed=typed)
