"""Pages: login, search, entity. They call the same Store methods as the API, as the
logged-in user, so the UI can show nothing the API would not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from palermo.access.viewer import Viewer
from palermo.api.auth import COOKIE, optional_viewer, store_of
from palermo.api.limits import LoginOutcome, LoginPolicy, attempt_login, client_address
from palermo.api.read_purpose import COOKIE as PURPOSE_COOKIE
from palermo.api.read_purpose import session_purpose
from palermo.api.security import is_tls
from palermo.coordination import hit_notices
from palermo.model.schemata import model
from palermo.store.store import SESSION_LABEL
from palermo.web.csrf import csrf_protect
from palermo.web.render import HERE, id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
SESSION = timedelta(hours=12)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    from palermo.web.oidc import config_of

    return page(request, "login.html", error=None, oidc=config_of(request))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Log in, behind the lockout: too many failures for a username or from an address
    answer 429 for a while, whatever the password (see limits.attempt_login)."""
    policy = getattr(request.app.state, "login_policy", None) or LoginPolicy.from_env()
    address = client_address(request.scope)
    outcome, viewer = attempt_login(store_of(request), policy, username, password, address)
    if outcome is LoginOutcome.LOCKED:
        text = "Too many failed logins. Try again later."
        response = page(request, "login.html", error=text)
        response.status_code = 429
        response.headers["retry-after"] = str(int(policy.window.total_seconds()))
        return response
    if viewer is None:
        response = page(request, "login.html", error="Unknown user or wrong password.")
        response.status_code = 401
        return response
    return start_session(request, viewer, RedirectResponse("/", status_code=303))


def start_session(request: Request, viewer: Viewer, response: Response | None = None) -> Response:
    """A session token in an HttpOnly, SameSite=strict cookie.

    After single sign-on the browser arrives from the identity provider's site, and a strict
    cookie set on a cross-site redirect chain would not be sent on to "/"; so by default the
    answer is a page that moves on to "/" itself (a same-site navigation)."""
    token = store_of(request).create_token(
        viewer, viewer.username, SESSION_LABEL, expires_at=datetime.now(UTC) + SESSION
    )
    if response is None:
        response = HTMLResponse(
            "<!doctype html><meta charset='utf-8'><meta http-equiv='refresh' content='0;url=/'>"
            "<title>Signed in</title><p>Signed in. <a href='/'>Continue</a></p>"
        )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=is_tls(request),
        max_age=int(SESSION.total_seconds()),
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session server-side (the token is revoked), then drop the cookie."""
    token = request.cookies.get(COOKIE)
    if token:
        store_of(request).end_session(token)
    redirect = RedirectResponse("/login", status_code=303)
    redirect.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=is_tls(request))
    redirect.delete_cookie(PURPOSE_COOKIE, httponly=True, samesite="strict", secure=is_tls(request))
    return redirect


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    schema: Annotated[str | None, Query(max_length=64)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    country: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """Results a page at a time, with the facets of all matches as filter links (each
    keeps the query and the other filters); the same Store.search as the API, for the
    session's declared purpose (H0 values stated for others are left out, ADR 0051)."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    chosen = {"schema": schema, "agency": agency, "country": country, "topic": topic}
    if len(q.strip()) < 2:
        return page(request, "search.html", query=q, results=[], facets=[], pages={})
    try:
        found = store_of(request).search(
            viewer,
            q,
            limit=SEARCH_PAGE,
            offset=offset,
            purpose=session_purpose(request),
            **chosen,
        )
        hit_notices.notify_ids(store_of(request), viewer, [e.id for e in found], "search")
    except ValueError as exc:
        return page(request, "search.html", query=q, results=[], error=str(exc), facets=[])
    return page(
        request,
        "search.html",
        query=q,
        results=found,
        total=found.total,
        offset=offset,
        facets=facet_links(q, chosen, found.facets),
        pages=page_links(q, chosen, offset, found.total),
    )


SEARCH_PAGE = 25
FACET_TITLES = {"schema": "Type", "agency": "Agency", "country": "Country", "topic": "Topic"}


def search_url(q: str, chosen: dict[str, str | None], offset: int = 0) -> str:
    params = {"q": q, **{k: v for k, v in chosen.items() if v is not None}}
    if offset:
        params["offset"] = str(offset)
    return "/search?" + urlencode(params)


def facet_links(
    q: str, chosen: dict[str, str | None], facets: dict[str, list[tuple[str, int]]]
) -> list[dict[str, object]]:
    """Per facet: its title, the active value's removal link, and a link per value."""
    out: list[dict[str, object]] = []
    for name, counts in facets.items():
        links = [
            {
                "label": facet_label(name, value),
                "count": count,
                "url": search_url(q, {**chosen, name: value}),
                "active": chosen.get(name) == value,
            }
            for value, count in counts[:12]
        ]
        if links or chosen.get(name):
            clear = search_url(q, {**chosen, name: None}) if chosen.get(name) else None
            out.append({"title": FACET_TITLES[name], "links": links, "clear": clear})
    return out


def facet_label(facet: str, value: str) -> str:
    """A readable name for a facet value (schema label, country name, topic name)."""
    from followthemoney import registry

    if facet == "schema":
        found = model.get(value)
        return found.plural if found is not None else value
    if facet == "country":
        return registry.country.caption(value) or value
    if facet == "topic":
        return registry.topic.caption(value) or value
    return value


def page_links(
    q: str, chosen: dict[str, str | None], offset: int, total: int
) -> dict[str, str | None]:
    previous = max(offset - SEARCH_PAGE, 0)
    return {
        "previous": search_url(q, chosen, previous) if offset > 0 else None,
        "next": search_url(q, chosen, offset + SEARCH_PAGE)
        if offset + SEARCH_PAGE < total
        else None,
    }


@router.get("/entities/{entity_id:path}", response_class=HTMLResponse)
def entity(request: Request, entity_id: str) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    found = store_of(request).entity(viewer, entity_id, purpose=session_purpose(request))
    if found is None:
        response = page(request, "missing.html", entity_id=entity_id)
        response.status_code = 404
        return response
    if found.schema == "Person":  # the identity profile (web/profile.py)
        from palermo.web.profile import render

        return render(request, viewer, found)
    from palermo.coordination.victims import non_punishment

    # read as the viewer, never with a lent role: the banner says "victim", so it shows only
    # to those who read the victim record's link and flag unmasked (victim-support)
    protected = found.schema == "Person" and non_punishment(store_of(request), viewer, entity_id)
    history = []  # a court outcome's corrections (issue 20), read as the session reads
    if found.schema == "CourtOutcome":
        from palermo.api.read_purpose import session_store
        from palermo.coordination.court_changes import history as court_history

        history = court_history(session_store(request), viewer, found.id)
    return page(
        request,
        "entity.html",
        entity=found,
        schema=model.get(found.schema),
        non_punishment=protected,
        history=history,
    )


@router.post("/entities/{entity_id:path}/corrections", response_class=HTMLResponse)
def correct_value(
    request: Request,
    entity_id: str,
    prop: Annotated[str, Form(max_length=200)],
    value: Annotated[str, Form(max_length=20_000)],
    action: Annotated[str, Form(max_length=20)],
    new_value: Annotated[str, Form(max_length=20_000)] = "",
    sharing: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The entity page's correction form: the same function as the API; an error is shown
    on the page (one line naming the field), the result by reloading the page."""
    from palermo.access.viewer import AccessDenied, NotVisible
    from palermo.ingest.audiences import checked_sharing
    from palermo.store.corrections import correct

    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = store_of(request)
    try:
        narrower = checked_sharing(store, sharing, "sharing") if sharing.strip() else None
        correct(store, viewer, entity_id, prop, value, action, new_value or None, narrower)
    except (ValueError, AccessDenied, NotVisible) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 400
        found = store.entity(viewer, entity_id, purpose=session_purpose(request))
        if found is None:
            missing = page(request, "missing.html", entity_id=entity_id)
            missing.status_code = 404
            return missing
        error = str(exc).splitlines()[0]
        response: Response
        if found.schema == "Person":  # the error shows on the profile the form sits on
            from palermo.web.profile import render

            response = render(request, viewer, found, error=error)
        else:
            response = page(
                request,
                "entity.html",
                entity=found,
                schema=model.get(found.schema),
                non_punishment=False,
                error=error,
            )
        response.status_code = status
        return response
    return RedirectResponse(f"/entities/{id_path(entity_id)}", status_code=303)


def mount(app: FastAPI) -> None:
    from palermo.web.case_forms import router as case_forms
    from palermo.web.case_team_forms import router as case_team_forms
    from palermo.web.coordination_forms import router as coordination_forms
    from palermo.web.dashboard import router as dashboard
    from palermo.web.oidc import router as oidc
    from palermo.web.pages import router as pages
    from palermo.web.purpose_form import router as purpose_form
    from palermo.web.victim_workflows import router as victim_workflows

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(dashboard)  # first: its "/" and the profile's export come before ours
    app.include_router(case_forms)
    app.include_router(case_team_forms)  # the case page's team and deconfliction forms
    app.include_router(victim_workflows)  # victims, referrals, alerts, imports, statistics
    app.include_router(coordination_forms)
    app.include_router(__import__("palermo.web.admin_pages", fromlist=["router"]).router)
    app.include_router(__import__("palermo.web.ledger_page", fromlist=["router"]).router)
    app.include_router(__import__("palermo.web.retention_page", fromlist=["router"]).router)
    app.include_router(__import__("palermo.web.glotip_page", fromlist=["router"]).router)
    app.include_router(router)
    app.include_router(purpose_form)
    app.include_router(pages)
    app.include_router(oidc)
