"""The purpose a read declares (H0, ADR 0051): from the request, checked against the codes.

A value another agency stated (H0) for, say, investigation only may be shown only to a read
that declares investigation. A request declares its purpose with the ``Palermo-Purpose``
header (any client; it wins), the ``purpose`` query parameter (where a route takes one), or
the web session's purpose (the cookie the header bar's form sets, `web.purpose_form`), in
that order. What is declared must be one of the coded purposes
(`model.handling_terms.PURPOSES`): a typo is a 400 naming the field, never a purpose that
silently matches nothing. A request that declares none reads with
`purpose_view.UNDECLARED`: only values without stated purposes (and the reader's own).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from palermo.access.viewer import Viewer
from palermo.api.auth import COOKIE as SESSION_COOKIE
from palermo.api.auth import optional_viewer, store_of
from palermo.model.handling_terms import PURPOSES, TermError, check_purpose
from palermo.store.purpose_view import UNDECLARED, entity_for_purpose, read_purpose
from palermo.store.store import Store
from palermo.store.views import Entity

HEADER = "Palermo-Purpose"
COOKIE = "palermo_purpose"  # the web session's declared purpose (web.purpose_form)
DESCRIBED = (
    "The declared purpose of this read, one of: " + ", ".join(PURPOSES) + ". Values another "
    "agency stated (H0) for other purposes are left out and named under `withheld`; "
    "without a declared purpose only values stated for no particular purpose are shown."
)


def _seal(purpose: str, session: str) -> str:
    key = session.encode()
    return hmac.new(key, b"palermo-purpose-v1:" + purpose.encode(), hashlib.sha256).hexdigest()


def sealed(purpose: str, session: str) -> str:
    """The cookie value of a session's purpose: bound to that session by an HMAC keyed with
    its token, so a purpose declared in an earlier session (another user of the same
    browser) is not carried into the next one."""
    return f"{purpose}.{_seal(purpose, session)}"


def session_purpose(request: Request) -> str:
    """The web session's declared purpose. A cookie of another session, or one whose purpose
    is not coded (never set by the form), counts as none declared rather than as an error
    the user cannot fix."""
    raw, session = request.cookies.get(COOKIE), request.cookies.get(SESSION_COOKIE)
    if not raw or not session:
        return UNDECLARED
    purpose, _, seal = raw.rpartition(".")
    if not hmac.compare_digest(seal, _seal(purpose, session)):
        return UNDECLARED
    try:
        return read_purpose(purpose)
    except TermError:
        return UNDECLARED


def session_store(request: Request) -> Store:
    """The node's store with its reads bound to the web session's purpose: what a page
    hands the functions that gather what it shows (`Store.for_purpose`)."""
    return store_of(request).for_purpose(session_purpose(request))


def for_session(request: Request, entity: Entity) -> Entity:
    """An entity a page read with every value (to judge who may act on it) as the session's
    purpose may show it to the signed-in user: the loader's rule
    (`purpose_view.entity_for_purpose`); without a user, nothing of another agency's."""
    viewer = optional_viewer(request) or Viewer("", "", frozenset())
    return entity_for_purpose(entity, viewer, session_purpose(request))


def declared(header: str | None, query: str | None, request: Request) -> str:
    """Header, else query, else the session's purpose; a bad one names its field."""
    if header is not None and header.strip():
        return read_purpose(header, HEADER)
    if query is not None and query.strip():
        return read_purpose(query, "purpose")
    return session_purpose(request)


async def purpose_dependency(
    request: Request,
    purpose: Annotated[str | None, Query(max_length=40, description=DESCRIBED)] = None,
    palermo_purpose: Annotated[
        str | None, Header(alias=HEADER, max_length=40, description=DESCRIBED)
    ] = None,
) -> str:
    """A route's declared purpose, from the header or the ``purpose`` query parameter.
    Async although it awaits nothing: it does no I/O, and FastAPI runs a plain ``def``
    dependency in the thread pool, one thread hand-off per request on every route that
    takes a purpose (ADR 0031, amendment of 2026-11-30)."""
    return declared(palermo_purpose, purpose, request)


async def header_purpose_dependency(
    request: Request,
    palermo_purpose: Annotated[
        str | None, Header(alias=HEADER, max_length=40, description=DESCRIBED)
    ] = None,
) -> str:
    """A declared purpose from the header only (the route's ``purpose`` means another thing).
    Async for the same reason as :func:`purpose_dependency`: no thread per request."""
    return declared(palermo_purpose, None, request)


def search_purpose(header_purpose: str, told: str | None, request: Request) -> str:
    """A search's H0 purpose: the header's; else its ``purpose`` (told to owners of records
    hit, free text) when that is a coded purpose; else the session's."""
    if request.headers.get(HEADER, "").strip():
        return header_purpose
    text = (told or "").strip().lower()
    if text in PURPOSES:
        return check_purpose(text)
    return header_purpose


def screening_declared(
    header_purpose: str, told: str | None, request: Request
) -> tuple[str, str | None]:
    """A screening's H0 purpose and the purpose told to the owners of records hit (the
    document check, the MRZ check). The rule of a search (`search_purpose`): the
    ``Palermo-Purpose`` header's purpose, when sent, wins over the body's ``purpose``; else
    the body's when it is a coded purpose; else the session's. The owners are told the
    body's text when it has one (why the caller screens, free text), else the declared
    purpose; none when neither is given (the screening then reads for ``screening``)."""
    h0 = search_purpose(header_purpose, told, request)
    text = (told or "").strip()
    return h0, (told if text else (h0 or None))


DeclaredPurpose = Annotated[str, Depends(purpose_dependency)]
HeaderPurpose = Annotated[str, Depends(header_purpose_dependency)]
