"""CSRF protection for the web UI's forms (synchronizer tokens plus an Origin check).

Every ``<form method="post">`` carries a hidden ``csrf_token`` field and every POST handler
of the web routers checks it (the routers declare `csrf_protect` as a dependency):

* with a session, the token is an HMAC of the session token: bound to that session, never
  stored, and unknowable to anyone who does not hold the session cookie;
* the login form has no session yet: a random pre-session token is set in an HttpOnly,
  SameSite=strict cookie and repeated in the form (so another site cannot log the browser
  in as the attacker: login CSRF).

On top, a POST that names another origin (Origin, else Referer) is refused, which stops a
same-site page (another port on the host, a sibling subdomain) that SameSite cannot stop.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, Response

from palermo.api.auth import COOKIE
from palermo.api.security import is_tls, same_origin, unsafe

FIELD = "csrf_token"
PRE_SESSION_COOKIE = "palermo_csrf"
LOGIN_PATHS = frozenset({"/login"})


def session_token(session: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 keyed with the session token."""
    return hmac.new(session.encode(), b"palermo-csrf-v1", hashlib.sha256).hexdigest()


def token_for_page(request: Request, login_form: bool) -> tuple[str, str | None]:
    """(the token to put in the page's forms, a new pre-session token to set as cookie)."""
    session = request.cookies.get(COOKIE)
    if session and not login_form:
        return session_token(session), None
    existing = request.cookies.get(PRE_SESSION_COOKIE)
    if existing:
        return existing, None
    fresh = secrets.token_urlsafe(32)
    return fresh, fresh


def set_pre_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        PRE_SESSION_COOKIE, value, httponly=True, samesite="strict", secure=is_tls(request)
    )


def _expected(request: Request) -> str | None:
    if request.url.path in LOGIN_PATHS:
        return request.cookies.get(PRE_SESSION_COOKIE)
    session = request.cookies.get(COOKIE)
    return session_token(session) if session else None


async def csrf_protect(request: Request) -> None:
    """Router dependency: refuse a state-changing request without the right token or from
    another origin. Safe methods (GET, HEAD) pass."""
    if not unsafe(request):
        return
    if not same_origin(request):
        raise HTTPException(403, "origin: this form was sent from another site")
    form = await request.form()
    sent = form.get(FIELD)
    expected = _expected(request)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(
            403, f"{FIELD}: missing or does not match this session; reload the page and retry"
        )
