"""Administering users and tokens: the one set of functions the CLI, the API and the web
UI call, so all three allow exactly the same things.

The rules (docs/security.md, "Administering users and tokens"):

* only an admin administers (``AccessDenied``, the API's 403), and an agency's admin only
  its own agency's users and tokens; another agency's user or token is ``NotVisible`` (404,
  the same answer as for one that does not exist, so nothing leaks);
* the node itself (`Viewer.system`, i.e. the CLI) administers every agency;
* an admin cannot change their own roles or disable themselves (no self-escalation, no
  locking oneself out), and no agency admin may leave their agency without an enabled admin;
  only the node (CLI) can do that;
* passwords follow the CLI's policy (`directory.set_password`) and are never returned,
  logged or audited; every change is audited; disabling, role changes and revocations
  drop every process's token cache at once (the store's change feed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from palermo.access.viewer import AccessDenied, NotVisible, Role, Viewer, parse_roles
from palermo.store import audit, directory
from palermo.store.directory import DirectoryError, TokenInfo, User
from palermo.store.store import Store

MIN_PASSWORD_CHARS = 8  # as directory.set_password (the CLI's `user set-password`)


@dataclass(frozen=True)
class UserRow:
    """What an admin sees of a user (never the password or its hash)."""

    username: str
    agency: str
    name: str
    roles: list[str]
    disabled: bool

    @classmethod
    def of(cls, user: User) -> UserRow:
        return cls(user.username, user.agency, user.display_name, sorted(user.roles), user.disabled)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TokenRow:
    """What an admin sees of a token: its id (a hash prefix), never the token."""

    id: str
    username: str
    label: str
    created_at: str
    expires_at: str | None
    status: str

    @classmethod
    def of(cls, t: TokenInfo) -> TokenRow:
        status = "revoked" if t.revoked else ("active" if t.active else "expired")
        expires = t.expires_at.isoformat() if t.expires_at else None
        return cls(t.id, t.username, t.label, t.created_at.isoformat(), expires, status)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _require_admin(actor: Viewer, action: str) -> None:
    if Role.ADMIN not in actor.roles:
        raise AccessDenied(f"{actor.username}@{actor.agency} may not {action}: needs admin")


def _sees(actor: Viewer, agency: str) -> bool:
    return actor.is_system or agency == actor.agency


def _target(store: Store, actor: Viewer, username: str, action: str) -> User:
    """The user an admin acts on: 403 for a non-admin, 404 for missing or another agency's."""
    _require_admin(actor, action)
    user = store.user(username)
    if user is None or not _sees(actor, user.agency):
        raise NotVisible(f"username: no user {username!r}")
    return user


def _other_enabled_admins(store: Store, user: User) -> int:
    return sum(
        1
        for u in store.users(user.agency)
        if u.username != user.username and not u.disabled and Role.ADMIN in u.roles
    )


def list_users(store: Store, actor: Viewer) -> list[UserRow]:
    """The users an admin administers (their agency's; the node's: all)."""
    _require_admin(actor, "list users")
    users = store.users(None if actor.is_system else actor.agency)
    return [UserRow.of(u) for u in users]


def add_user(
    store: Store,
    actor: Viewer,
    username: str,
    roles: str | list[str],
    name: str | None = None,
    password: str | None = None,
    agency: str | None = None,
) -> UserRow:
    """A new user in the admin's agency (``agency`` defaults to it; another one is 403)."""
    _require_admin(actor, "add users")
    code = agency or actor.agency
    if not _sees(actor, code):
        raise AccessDenied(f"agency: {actor.username}@{actor.agency} may not add users to {code}")
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise DirectoryError(f"password: must be at least {MIN_PASSWORD_CHARS} characters")
    return UserRow.of(store.add_user(actor, username, code, roles, name, password or None))


def set_roles(store: Store, actor: Viewer, username: str, roles: str | list[str]) -> UserRow:
    """Replace a user's roles; audited with the old and new roles."""
    user = _target(store, actor, username, "change roles")
    if not actor.is_system and user.username == actor.username:
        raise AccessDenied("roles: an admin cannot change their own roles; ask another admin")
    try:
        parsed = parse_roles(roles)
    except ValueError as exc:
        raise DirectoryError(f"roles: {exc}") from None
    if (
        not actor.is_system
        and Role.ADMIN in user.roles
        and Role.ADMIN not in parsed
        and not user.disabled
        and _other_enabled_admins(store, user) == 0
    ):
        raise DirectoryError(f"roles: {username} is the last enabled admin of {user.agency}")
    with store.transaction() as conn:
        stored = directory.set_roles(conn, username, sorted(parsed))
        detail = {"from": sorted(user.roles), "to": sorted(stored)}
        audit.append(conn, actor.agency, actor.username, "user.roles", username, detail)
    store._forget_tokens()
    return UserRow.of(User(user.username, user.agency, user.display_name, stored, user.disabled))


def set_disabled(store: Store, actor: Viewer, username: str, disabled: bool) -> UserRow:
    """Disable (or enable) a user; their tokens stop working on the next request."""
    user = _target(store, actor, username, "disable users")
    if disabled and not actor.is_system:
        if user.username == actor.username:
            raise AccessDenied("username: an admin cannot disable themselves")
        if Role.ADMIN in user.roles and _other_enabled_admins(store, user) == 0:
            raise DirectoryError(f"username: {username} is the last enabled admin of {user.agency}")
    store.set_user_disabled(actor, username, disabled)
    return UserRow.of(User(user.username, user.agency, user.display_name, user.roles, disabled))


def set_password(store: Store, actor: Viewer, username: str, password: str) -> None:
    """A new password (the CLI's policy); the user's web sessions end."""
    _target(store, actor, username, "set passwords")
    store.set_password(actor, username, password)


def list_tokens(store: Store, actor: Viewer) -> list[TokenRow]:
    """The tokens of the users an admin administers."""
    _require_admin(actor, "list tokens")
    mine = {u.username for u in store.users(None if actor.is_system else actor.agency)}
    return [TokenRow.of(t) for t in store.tokens() if t.username in mine]


def revoke_token(store: Store, actor: Viewer, token_id: str) -> TokenRow:
    """Revoke one token by its id (as listed); it stops working on the next request."""
    _require_admin(actor, "revoke tokens")
    if len(token_id) != directory.TOKEN_ID_CHARS or any(
        c not in "0123456789abcdef" for c in token_id
    ):
        raise DirectoryError(
            f"token_id: {token_id!r} must be the {directory.TOKEN_ID_CHARS} hex characters listed"
        )
    found = next((t for t in list_tokens(store, actor) if t.id == token_id), None)
    if found is None:
        raise NotVisible(f"token_id: no token {token_id!r}")
    if found.status == "active":
        store.revoke_tokens(actor, token_id=token_id)
    return TokenRow(
        found.id, found.username, found.label, found.created_at, found.expires_at, "revoked"
    )
