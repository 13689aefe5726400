"""Pages: login, search, entity. They call the same Store methods as the API, as the
logged-in user, so the UI can show nothing the API would not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from palermo.api.auth import COOKIE, optional_viewer, store_of
from palermo.model.schemata import model
from palermo.web.render import HERE, page

router = APIRouter(include_in_schema=False)
SESSION = timedelta(hours=12)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    if optional_viewer(request) is None:
        return RedirectResponse("/login", status_code=303)
    return page(request, "search.html", query="", results=None)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return page(request, "login.html", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    store = store_of(request)
    viewer = store.login(username, password)
    if viewer is None:
        response = page(request, "login.html", error="Unknown user or wrong password.")
        response.status_code = 401
        return response
    token = store.create_token(
        viewer, viewer.username, "web session", expires_at=datetime.now(UTC) + SESSION
    )
    redirect = RedirectResponse("/", status_code=303)
    redirect.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", max_age=int(SESSION.total_seconds())
    )
    return redirect


@router.post("/logout")
def logout() -> Response:
    redirect = RedirectResponse("/login", status_code=303)
    redirect.delete_cookie(COOKIE)
    return redirect


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "") -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    results = store_of(request).search(viewer, q, limit=50) if len(q.strip()) >= 2 else []
    return page(request, "search.html", query=q, results=results)


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity(request: Request, entity_id: str) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    found = store_of(request).entity(viewer, entity_id)
    if found is None:
        response = page(request, "missing.html", entity_id=entity_id)
        response.status_code = 404
        return response
    from palermo.coordination.victims import non_punishment

    protected = found.schema == "Person" and non_punishment(store_of(request), viewer, entity_id)
    return page(
        request,
        "entity.html",
        entity=found,
        schema=model.get(found.schema),
        non_punishment=protected,
    )


def mount(app: FastAPI) -> None:
    from palermo.web.pages import router as pages

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
    app.include_router(pages)
