"""Administering users and tokens in the browser: /admin/users and /admin/tokens.

Every form calls the same functions as the API's /api/v1/admin routes
(`palermo.store.user_admin`) as the logged-in admin, so the browser is allowed exactly what
the API allows. A non-admin gets the 403 page, another agency's user or token the 404 page;
a refused input re-renders the page with the message next to the field (in the row of the
user it concerns). Typed passwords are never shown again. Every POST carries the session's
CSRF token (router dependency).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Role, Viewer
from palermo.api.auth import store_of
from palermo.api.schemas import LINE, SHORT
from palermo.store import user_admin
from palermo.web.coord_form_kit import form_data, refused_page, signed_in, texts, to_login
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ROLE_CHOICES = [r.value for r in Role]
USER_FIELDS = ("username", "name", "roles", "password", "form")
DONE = {  # ?done= on the redirect after a change -> the sentence shown (nothing user-typed)
    "added": "User added.",
    "roles": "Roles changed.",
    "disabled": "User disabled; their tokens no longer work.",
    "enabled": "User enabled.",
    "password": "Password set; the user's web sessions ended.",
    "revoked": "Token revoked; it no longer works.",
}


def _admin(request: Request) -> Viewer | Response:
    """The signed-in admin, or the page to answer with (login, or 403 for a non-admin)."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    if Role.ADMIN not in viewer.roles:
        reason = f"{viewer.username}@{viewer.agency} may not administer users: needs admin"
        return refused_page(request, AccessDenied(reason))
    return viewer


def _not_found(request: Request, exc: NotVisible) -> Response:
    """The API's 404, worded as it: "username: no user 'x'" (missing or another agency's)."""
    response = page(request, "message.html", title="Not found", text=str(exc).splitlines()[0])
    response.status_code = 404
    return response


def _users_page(
    request: Request,
    viewer: Viewer,
    errors: dict[str, str],
    target: str = "",
    values: dict[str, object] | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    response = page(
        request,
        "admin_users.html",
        users=user_admin.list_users(store_of(request), viewer),
        role_choices=ROLE_CHOICES,
        errors=errors,
        target=target,
        values=values or {},
        done=DONE.get(done, ""),
    )
    response.status_code = status
    return response


def _refused(
    request: Request, viewer: Viewer, exc: Exception, target: str, values: dict[str, object]
) -> Response:
    """A refusal as a page: 404 for another agency's (or no) user, else the form again with
    the message next to the field it names (403 for a rule about roles, 422 for bad input)."""
    if isinstance(exc, NotVisible):
        return _not_found(request, exc)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    name = text.split(":", 1)[0].strip()
    status = 403 if isinstance(exc, AccessDenied) else 422
    field = name if name in USER_FIELDS else "form"
    return _users_page(request, viewer, {field: text}, target, values, status)


def _act(
    request: Request,
    target: str,
    values: dict[str, object],
    run: Callable[[Viewer], None],
    done: str,
) -> Response:
    who = _admin(request)
    if not isinstance(who, Viewer):
        return who
    try:
        run(who)
    except (ValueError, AccessDenied, NotVisible) as exc:
        return _refused(request, who, exc, target, values)
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, done: str = "") -> Response:
    who = _admin(request)
    if not isinstance(who, Viewer):
        return who
    return _users_page(request, who, {}, done=done[:SHORT])


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(request: Request, form: Annotated[FormData, Depends(form_data)]) -> Response:
    """`user_admin.add_user`, as the API's POST /api/v1/admin/users."""
    username = str(form.get("username", "")).strip()[:SHORT]
    name = str(form.get("name", "")).strip()[:LINE]
    password = str(form.get("password", ""))[: LINE + 1]
    roles = texts(form, "roles")[: len(ROLE_CHOICES) + 1]
    values: dict[str, object] = {"username": username, "name": name, "roles": roles}

    def run(viewer: Viewer) -> None:
        if len(password) > LINE:
            raise ValueError(f"password: longer than {LINE} characters")
        user_admin.add_user(
            store_of(request), viewer, username, roles, name or None, password or None
        )

    return _act(request, "", values, run, "added")


@router.post("/admin/users/{username}/roles", response_class=HTMLResponse)
def set_roles(
    request: Request, username: str, form: Annotated[FormData, Depends(form_data)]
) -> Response:
    """`user_admin.set_roles`, as the API's PUT /api/v1/admin/users/{name}/roles."""
    roles = texts(form, "roles")[: len(ROLE_CHOICES) + 1]

    def run(viewer: Viewer) -> None:
        user_admin.set_roles(store_of(request), viewer, username, roles)

    return _act(request, username, {"roles": roles}, run, "roles")


@router.post("/admin/users/{username}/disable", response_class=HTMLResponse)
def disable(request: Request, username: str) -> Response:
    def run(viewer: Viewer) -> None:
        user_admin.set_disabled(store_of(request), viewer, username, True)

    return _act(request, username, {}, run, "disabled")


@router.post("/admin/users/{username}/enable", response_class=HTMLResponse)
def enable(request: Request, username: str) -> Response:
    def run(viewer: Viewer) -> None:
        user_admin.set_disabled(store_of(request), viewer, username, False)

    return _act(request, username, {}, run, "enabled")


@router.post("/admin/users/{username}/password", response_class=HTMLResponse)
def password(request: Request, username: str, password: Annotated[str, Form()] = "") -> Response:
    """`user_admin.set_password`; the typed password is never shown again."""

    def run(viewer: Viewer) -> None:
        if len(password) > LINE:
            raise ValueError(f"password: longer than {LINE} characters")
        user_admin.set_password(store_of(request), viewer, username, password)

    return _act(request, username, {}, run, "password")


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, done: str = "") -> Response:
    who = _admin(request)
    if not isinstance(who, Viewer):
        return who
    return _tokens_page(request, who, {}, done=done[:SHORT])


def _tokens_page(
    request: Request, viewer: Viewer, errors: dict[str, str], status: int = 200, done: str = ""
) -> Response:
    response = page(
        request,
        "admin_tokens.html",
        tokens=user_admin.list_tokens(store_of(request), viewer),
        errors=errors,
        done=DONE.get(done, ""),
    )
    response.status_code = status
    return response


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, token_id: str) -> Response:
    """`user_admin.revoke_token`, as the API's DELETE /api/v1/admin/tokens/{id}."""
    who = _admin(request)
    if not isinstance(who, Viewer):
        return who
    try:
        user_admin.revoke_token(store_of(request), who, token_id[:SHORT])
    except NotVisible as exc:
        return _not_found(request, exc)
    except ValueError as exc:
        return _tokens_page(request, who, {"form": str(exc).splitlines()[0]}, 422)
    return RedirectResponse("/admin/tokens?done=revoked", status_code=303)
