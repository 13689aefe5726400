"""Who is calling: a bearer token (API) or the same token in a cookie (web UI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.security import same_origin, unsafe
from palermo.store.store import Store

COOKIE = "palermo_token"


def store_of(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


C = TypeVar("C")


def app_cache(request: Request, name: str, make: Callable[[Store], C]) -> C:
    """One cache object per app (screening indexes, workspaces), made on first use."""
    cache = getattr(request.app.state, name, None)
    if cache is None:
        cache = make(store_of(request))
        setattr(request.app.state, name, cache)
    return cast(C, cache)


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


def _by_cookie(request: Request) -> bool:
    return not request.headers.get("authorization", "").lower().startswith("bearer ")


def optional_viewer(request: Request) -> Viewer | None:
    token = token_of(request)
    return refuse_precheck(store_of(request).viewer_for_token(token) if token else None)


def refuse_precheck(viewer: Viewer | None) -> Viewer | None:
    """A pre-check account reaches only POST /api/v1/precheck (api/precheck_routes.py,
    which authenticates on its own): every other route and page is 403 for it."""
    if viewer is not None and viewer.is_precheck:
        raise HTTPException(status_code=403, detail="role: precheck may only submit pre-checks")
    return viewer


async def current_viewer(request: Request) -> Viewer:
    """The caller; async so that a remembered token costs no worker thread.

    A state-changing call authenticated by the session cookie (not a bearer header) must
    not name another origin: a same-site page cannot make the browser call the API."""
    token = token_of(request)
    if token and _by_cookie(request) and unsafe(request) and not same_origin(request):
        raise HTTPException(status_code=403, detail="origin: request sent from another site")
    store = store_of(request)
    viewer = store.cached_viewer(token) if token else None
    if viewer is None and token:
        viewer = await run_in_threadpool(store.viewer_for_token, token)
    if viewer is None:
        raise HTTPException(status_code=401, detail="authentication required: a valid bearer token")
    refuse_precheck(viewer)
    return viewer
