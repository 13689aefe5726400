"""The MRZ form of the screening page: the same check as ``POST /api/v1/screening/mrz``,
through the same parser, so the page heading names the same layout (TD1 ... FR-ID), and
telling the owner of every report hit as the API does, in the commit of its audit row."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from palermo.access.viewer import Viewer
from palermo.api import screening_routes as screening
from palermo.api.auth import store_of
from palermo.api.read_purpose import session_purpose
from palermo.coordination import screening_notices
from palermo.match.mrz import MRZError
from palermo.match.mrz_check import read_mrz, screen_mrz
from palermo.web.render import page
from palermo.web.screening_unrecorded import UNRECORDED, unrecorded


def show_mrz(request: Request, viewer: Viewer, text: str) -> Response:
    """The screening page with the MRZ verdict, or with a one-line error (422) naming
    ``mrz`` for a zone that cannot be read or has an unsupported layout."""
    try:
        zone = read_mrz(text)
    except MRZError as exc:
        response = page(request, "screening.html", error=f"mrz: {exc}", mrz_text=text)
        response.status_code = 422
        return response
    told = session_purpose(request) or None  # the session's purpose (H0, ADR 0041/0051)
    index = screening.for_purpose(screening.index_for(request, viewer), told)
    check = screen_mrz(index, zone)
    audited = ("screen.mrz", check.document.number, check.audit_detail())
    hits = [h.entity_id for h in check.document.hits]
    try:  # as the API: the audit row committed with the hit notices (ADR 0052)
        screening_notices.notify(store_of(request), viewer, index, hits, told, audited)
    except UNRECORDED as exc:
        return unrecorded(request, exc)
    shown = dict(mrz_check=check.as_dict(), mrz_text=text, screened_for=index.purpose)
    return page(request, "screening.html", **shown)
