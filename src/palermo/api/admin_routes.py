"""API for administering users and tokens (GET/POST /api/v1/admin/...).

Thin: every route calls `palermo.store.user_admin` as the caller, which holds the rules
(admins only, own agency only, another agency's user or token is a 404, no self-demotion).
Passwords go in request bodies only and are never echoed back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.schemas import LINE, SHORT
from palermo.store import user_admin

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
RoleName = Annotated[str, Field(max_length=SHORT)]
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


class UserIn(BaseModel):
    username: str = Field(examples=["anna"], max_length=SHORT)
    roles: list[RoleName] = Field(examples=[["analyst"]], max_length=10)
    name: str | None = Field(None, examples=["Anna Berg"], max_length=LINE)
    password: str | None = Field(None, description="web password (8+ characters)", max_length=LINE)
    agency: str | None = Field(
        None, description="defaults to the caller's agency", max_length=SHORT
    )


class RolesIn(BaseModel):
    roles: list[RoleName] = Field(examples=[["analyst", "supervisor"]], max_length=10)


class PasswordIn(BaseModel):
    password: str = Field(description="the new web password (8+ characters)", max_length=LINE)


class UserOut(BaseModel):
    username: str
    agency: str
    name: str
    roles: list[str]
    disabled: bool


class TokenOut(BaseModel):
    id: str
    username: str
    label: str
    created_at: str
    expires_at: str | None
    status: str


@router.get("/users", response_model=list[UserOut])
def users(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """The users of the caller's agency (admins only)."""
    return [u.to_json() for u in user_admin.list_users(store_of(request), viewer)]


@router.post("/users", response_model=UserOut, status_code=201)
def add_user(request: Request, viewer: CurrentViewer, body: UserIn) -> dict[str, Any]:
    """Add a user to the caller's agency."""
    row = user_admin.add_user(
        store_of(request), viewer, body.username, body.roles, body.name, body.password, body.agency
    )
    return row.to_json()


@router.put("/users/{username}/roles", response_model=UserOut)
def set_roles(
    request: Request, viewer: CurrentViewer, username: str, body: RolesIn
) -> dict[str, Any]:
    """Replace a user's roles (not one's own; never leaving the agency without an admin)."""
    return user_admin.set_roles(store_of(request), viewer, username, body.roles).to_json()


@router.post("/users/{username}/disable", response_model=UserOut)
def disable(request: Request, viewer: CurrentViewer, username: str) -> dict[str, Any]:
    """Disable a user: login is refused and their tokens fail on the next request."""
    return user_admin.set_disabled(store_of(request), viewer, username, True).to_json()


@router.post("/users/{username}/enable", response_model=UserOut)
def enable(request: Request, viewer: CurrentViewer, username: str) -> dict[str, Any]:
    """Enable a disabled user (revoked tokens stay revoked)."""
    return user_admin.set_disabled(store_of(request), viewer, username, False).to_json()


@router.post("/users/{username}/password", status_code=204)
def password(request: Request, viewer: CurrentViewer, username: str, body: PasswordIn) -> None:
    """Set a user's web password; their web sessions end."""
    user_admin.set_password(store_of(request), viewer, username, body.password)


@router.get("/tokens", response_model=list[TokenOut])
def tokens(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """The tokens of the caller's agency's users (ids only, never the tokens)."""
    return [t.to_json() for t in user_admin.list_tokens(store_of(request), viewer)]


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke(request: Request, viewer: CurrentViewer, token_id: str) -> dict[str, Any]:
    """Revoke a token; it is refused from the next request on."""
    return user_admin.revoke_token(store_of(request), viewer, token_id).to_json()
