"""The session's declared purpose: the header bar's form (H0, ADR 0051).

An analyst states what she is reading for (investigation, analysis, ...) once per session;
search, entity pages, the link chart, risk and trends then show the values other agencies
stated (H0) for that purpose and leave out, with a marker, those stated for others. The
choice is kept in a cookie sealed to the session token (`api.read_purpose.sealed`), so the
API calls the pages make (the link chart's, the trends') read with the same purpose, and a
new session starts with none declared. The form carries the CSRF token like every form; the
purpose must be a coded one (or none), and the declaration is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from palermo.api.auth import COOKIE as SESSION_COOKIE
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import COOKIE, sealed
from palermo.api.security import is_tls
from palermo.model.handling_terms import TermError
from palermo.store.purpose_view import read_purpose
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def local_path(text: str) -> str:
    """Where to go back to: a path on this site only (never ``//host`` or a full URL)."""
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return "/"


@router.post("/purpose")
def declare(
    request: Request,
    purpose: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Set (or clear, with an empty value) the session's declared purpose."""
    viewer = optional_viewer(request)
    session = request.cookies.get(SESSION_COOKIE)
    if viewer is None or not session:
        return RedirectResponse("/login", status_code=303)
    try:
        chosen = read_purpose(purpose)
    except TermError as exc:
        response = page(request, "message.html", title="Unknown purpose", text=str(exc))
        response.status_code = 400
        return response
    store_of(request).audit_event(viewer, "purpose.declare", chosen or "(none)", {})
    redirect = RedirectResponse(local_path(back), status_code=303)
    if chosen:
        redirect.set_cookie(
            COOKIE,
            sealed(chosen, session),
            httponly=True,
            samesite="strict",
            secure=is_tls(request),
        )
    else:
        redirect.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=is_tls(request))
    return redirect
