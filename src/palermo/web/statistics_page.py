"""Victim statistics in the browser: the Global-Report tables an analyst may see.

The page shows `analysis.victim_aggregates.victim_tables` for the logged-in user: counts over
the victim records shared with the user's agency, computed from the real values but released
only as k-suppressed tables (no cell below k, small categories pooled so no total gives one
back). Each table is drawn as rows with a `<meter>` bar: a chart without script or inline
style, so it passes the page's CSP and reads out in a screen reader as numbers.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palermo.access.viewer import AccessDenied
from palermo.analysis.suppression import OTHER
from palermo.analysis.victim_aggregates import victim_tables
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_purpose
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


@router.get("/statistics", response_class=HTMLResponse)
def statistics(request: Request) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        # counted from the values the session's purpose may use (H0, ADR 0051)
        found = victim_tables(store_of(request), viewer, purpose=session_purpose(request))
    except AccessDenied as exc:
        response = page(request, "message.html", title="Not allowed", text=str(exc))
        response.status_code = 403
        return response
    return page(request, "statistics_victims.html", found=found, other=OTHER)
