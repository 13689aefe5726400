"""Alert subscriptions in the browser: list mine, subscribe, delete; the latest alerts.

The forms call `palermo.exchange.alerts` (`subscribe`, `subscriptions_of`, `unsubscribe`,
`alerts_for`) as the logged-in user, like the API: a user lists and deletes only their own
subscriptions (another user's id is "not found"), and subscribing needs a data role; an
alert's summary quoting a value stated (H0) for other purposes than the session's shows
the withheld marker instead (`alert_purpose`). A
refused input shows its message next to the field; every POST carries the CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_purpose
from palermo.api.schemas import LINE
from palermo.exchange import alert_purpose, alerts
from palermo.web.csrf import csrf_protect
from palermo.web.render import page
from palermo.web.victim_forms import field_errors

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
RECENT = 20
HINTS = {
    "entity": "a record id: any new value about it",
    "document": "a document number, in any spacing",
    "name": "a name: records naming all its words",
    "notice-type": "a notice colour, e.g. yellow",
    "country": "an ISO country code, e.g. ng",
    "hit": "deconfliction hits: * or a selector type",
}


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions(request: Request, kind: str = "", value: str = "") -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, viewer, {"kind": kind[:40], "value": value[:LINE]}, {})


@router.post("/subscriptions", response_class=HTMLResponse)
def subscribe(
    request: Request,
    kind: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    """`alerts.subscribe`, as the API's POST /api/v1/subscriptions."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        if len(value) > LINE:
            raise ValueError(f"value: longer than {LINE} characters")
        alerts.subscribe(store_of(request), viewer, kind[:40], value)
    except (ValueError, AccessDenied) as exc:
        errors, status = field_errors(exc, ("kind", "value"))
        response = _page(request, viewer, {"kind": kind[:40], "value": value[:LINE]}, errors)
        response.status_code = status
        return response
    return RedirectResponse("/subscriptions", status_code=303)


@router.post("/subscriptions/{subscription_id}/delete", response_class=HTMLResponse)
def delete(request: Request, subscription_id: str) -> Response:
    """`alerts.unsubscribe`: only one's own; anything else is 404 with the same message."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    number = int(subscription_id) if subscription_id.isascii() and subscription_id.isdigit() else 0
    try:
        alerts.unsubscribe(store_of(request), viewer, number if len(subscription_id) < 20 else 0)
    except NotVisible as exc:
        response = _page(request, viewer, {}, {"form": str(exc)})
        response.status_code = 404
        return response
    return RedirectResponse("/subscriptions", status_code=303)


def _page(
    request: Request, viewer: Viewer, values: dict[str, str], errors: dict[str, str]
) -> HTMLResponse:
    store = store_of(request)
    mine = alerts.subscriptions_of(store, viewer)
    # the summaries quote values: shown for the session's purpose (H0, ADR 0051)
    purpose = session_purpose(request)
    latest, held = alert_purpose.for_purpose(store, viewer, _latest(store, viewer), purpose)
    return page(
        request,
        "subscription_list.html",
        subscriptions=mine,
        recent=list(reversed(latest)),
        held_rows=held,
        kinds=alerts.KINDS,
        hints=HINTS,
        values=values,
        errors=errors,
    )


def _latest(store: Any, viewer: Viewer, page_size: int = 1000) -> list[alerts.Alert]:
    """The user's newest alerts (`alerts_for` pages oldest first, so read to the end)."""
    latest: list[alerts.Alert] = []
    after = 0
    while True:
        batch = alerts.alerts_for(store, viewer, after=after, limit=page_size)
        latest = (latest + batch)[-RECENT:]
        if len(batch) < page_size:
            return latest
        after = batch[-1].id
