"""Agencies, groups, users and API tokens: who the members of the network are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.credentials import hash_password, new_token, token_hash
from palermo.access.viewer import Role, Viewer, parse_roles
from palermo.store.tables import (
    agency,
    agency_group,
    api_token,
    app_user,
    group_member,
    login_failure,
)

AGENCY_KINDS = ("police", "border", "ngo", "prosecutor", "labour", "central-bureau", "other")
# Every token expires: a token made without an explicit expiry lives this long.
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
# A token id is a prefix of the token's SHA-256 hash: enough to name it, useless to log in.
TOKEN_ID_CHARS = 16
MIN_TOKEN_ID_CHARS = 8


class DirectoryError(ValueError):
    """A directory change that cannot be made; the message names the field."""


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    country: str
    kind: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class User:
    username: str
    agency: str
    display_name: str
    roles: frozenset[Role]
    disabled: bool = False

    def viewer(self) -> Viewer:
        return Viewer(agency=self.agency, username=self.username, roles=self.roles)


@dataclass(frozen=True)
class TokenInfo:
    """What an administrator may see of a token: never the token, only its hash's prefix."""

    id: str
    username: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

    @property
    def active(self) -> bool:
        return not self.revoked and not _expired(self.expires_at)


def add_agency(conn: Connection, new: Agency) -> None:
    if not new.code or any(c.isspace() for c in new.code):
        raise DirectoryError(f"code: {new.code!r} must be a non-empty code without spaces")
    if len(new.country) != 2 or not new.country.isalpha():
        raise DirectoryError(f"country: {new.country!r} is not an ISO 3166 alpha-2 code")
    if new.kind not in AGENCY_KINDS:
        raise DirectoryError(f"kind: {new.kind!r} is not one of {', '.join(AGENCY_KINDS)}")
    if get_agency(conn, new.code) is not None:
        raise DirectoryError(f"code: agency {new.code} already exists")
    conn.execute(
        sa.insert(agency).values(
            code=new.code,
            name=new.name,
            country=new.country.upper(),
            kind=new.kind,
            created_at=datetime.now(UTC),
        )
    )
    for group in new.groups:
        join_group(conn, group, new.code)


def get_agency(conn: Connection, code: str) -> Agency | None:
    row = conn.execute(sa.select(agency).where(agency.c.code == code)).first()
    if row is None:
        return None
    return Agency(row.code, row.name, row.country, row.kind, tuple(groups_of(conn, code)))


def list_agencies(conn: Connection) -> list[Agency]:
    codes = conn.execute(sa.select(agency.c.code).order_by(agency.c.code)).scalars().all()
    return [a for a in (get_agency(conn, c) for c in codes) if a is not None]


def groups_of(conn: Connection, agency_code: str) -> list[str]:
    rows = conn.execute(
        sa.select(group_member.c.group_code)
        .where(group_member.c.agency_code == agency_code)
        .order_by(group_member.c.group_code)
    )
    return list(rows.scalars())


def join_group(conn: Connection, group: str, agency_code: str) -> None:
    exists = conn.execute(sa.select(agency_group.c.code).where(agency_group.c.code == group))
    if exists.first() is None:
        conn.execute(sa.insert(agency_group).values(code=group, name=group))
    if group not in groups_of(conn, agency_code):
        conn.execute(sa.insert(group_member).values(group_code=group, agency_code=agency_code))


def add_user(
    conn: Connection,
    username: str,
    agency_code: str,
    roles: str | list[str],
    display_name: str | None = None,
    password: str | None = None,
) -> User:
    if not username or any(c.isspace() for c in username):
        raise DirectoryError(f"username: {username!r} must be non-empty without spaces")
    if get_agency(conn, agency_code) is None:
        raise DirectoryError(f"agency: no agency with code {agency_code!r}")
    if get_user(conn, username) is not None:
        raise DirectoryError(f"username: user {username} already exists")
    try:
        parsed = parse_roles(roles)
    except ValueError as exc:
        raise DirectoryError(f"roles: {exc}") from None
    conn.execute(
        sa.insert(app_user).values(
            username=username,
            agency_code=agency_code,
            display_name=display_name or username,
            roles=",".join(sorted(parsed)),
            created_at=datetime.now(UTC),
            password_hash=hash_password(password) if password else None,
        )
    )
    return User(username, agency_code, display_name or username, parsed)


def get_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(sa.select(app_user).where(app_user.c.username == username)).first()
    if row is None:
        return None
    return _user_of(row)


def _user_of(row: sa.Row[Any]) -> User:
    roles = parse_roles(row.roles)
    return User(row.username, row.agency_code, row.display_name, roles, bool(row.disabled))


def list_users(conn: Connection, agency_code: str | None = None) -> list[User]:
    query = sa.select(app_user).order_by(app_user.c.username)
    if agency_code is not None:
        query = query.where(app_user.c.agency_code == agency_code)
    return [_user_of(row) for row in conn.execute(query)]


def password_hash_of(conn: Connection, username: str) -> str | None:
    query = sa.select(app_user.c.password_hash).where(app_user.c.username == username)
    return conn.execute(query).scalar()


def set_disabled(conn: Connection, username: str, disabled: bool) -> None:
    """Disable (or re-enable) a user; `user_for_token` and login check the flag every time."""
    done = conn.execute(
        sa.update(app_user).where(app_user.c.username == username).values(disabled=disabled)
    )
    if done.rowcount == 0:
        raise DirectoryError(f"username: no user {username!r}")


def set_password(conn: Connection, username: str, password: str) -> None:
    if len(password) < 8:
        raise DirectoryError("password: must be at least 8 characters")
    done = conn.execute(
        sa.update(app_user)
        .where(app_user.c.username == username)
        .values(password_hash=hash_password(password))
    )
    if done.rowcount == 0:
        raise DirectoryError(f"username: no user {username!r}")


def create_token(
    conn: Connection, username: str, label: str, expires_at: datetime | None = None
) -> str:
    """A new token; without ``expires_at`` it expires after DEFAULT_TOKEN_LIFETIME."""
    if get_user(conn, username) is None:
        raise DirectoryError(f"username: no user {username!r}")
    now = datetime.now(UTC)
    expires = expires_at if expires_at is not None else now + DEFAULT_TOKEN_LIFETIME
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    if expires <= now:
        raise DirectoryError(f"expires_at: {expires.isoformat()} is not in the future")
    token = new_token()
    conn.execute(
        sa.insert(api_token).values(
            token_hash=token_hash(token),
            username=username,
            label=label,
            created_at=now,
            expires_at=expires,
            revoked=False,
        )
    )
    return token


def user_for_token(conn: Connection, token: str) -> User | None:
    """The token's user, unless the token is revoked, expired (or has no expiry, which only
    a database written before every token expired could hold) or its user is disabled."""
    row = conn.execute(
        sa.select(api_token.c.username, api_token.c.revoked, api_token.c.expires_at).where(
            api_token.c.token_hash == token_hash(token)
        )
    ).first()
    if row is None or row.revoked or row.expires_at is None or _expired(row.expires_at):
        return None
    user = get_user(conn, row.username)
    return None if user is None or user.disabled else user


def _expired(expires: datetime | None) -> bool:
    if expires is None:
        return True
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    return expires <= datetime.now(UTC)


def token_owner(conn: Connection, token: str) -> str | None:
    query = sa.select(api_token.c.username).where(api_token.c.token_hash == token_hash(token))
    return conn.execute(query).scalar()


def list_tokens(conn: Connection, username: str | None = None) -> list[TokenInfo]:
    query = sa.select(api_token).order_by(api_token.c.username, api_token.c.created_at)
    if username is not None:
        query = query.where(api_token.c.username == username)
    return [
        TokenInfo(
            r.token_hash[:TOKEN_ID_CHARS],
            r.username,
            r.label,
            r.created_at,
            r.expires_at,
            bool(r.revoked),
        )
        for r in conn.execute(query)
    ]


def revoke_tokens(
    conn: Connection,
    username: str | None = None,
    token_id: str | None = None,
    label: str | None = None,
    token: str | None = None,
) -> list[str]:
    """Revoke the tokens matching every given criterion; the usernames they belonged to.

    At least one criterion is needed (nothing revokes every token of the node at once)."""
    where: list[sa.ColumnElement[bool]] = [api_token.c.revoked == sa.false()]
    if username is not None:
        where.append(api_token.c.username == username)
    if label is not None:
        where.append(api_token.c.label == label)
    if token is not None:
        where.append(api_token.c.token_hash == token_hash(token))
    if token_id is not None:
        if len(token_id) < MIN_TOKEN_ID_CHARS or not all(c in "0123456789abcdef" for c in token_id):
            raise DirectoryError(
                f"token_id: {token_id!r} must be at least {MIN_TOKEN_ID_CHARS} "
                "lower-case hex characters (from `token list`)"
            )
        where.append(api_token.c.token_hash.startswith(token_id, autoescape=True))
    if len(where) == 1:
        raise DirectoryError("token: say which tokens to revoke (user, token id or label)")
    matched = conn.execute(sa.select(api_token.c.token_hash, api_token.c.username).where(*where))
    rows = list(matched)
    if token_id is not None and len(rows) > 1:
        raise DirectoryError(f"token_id: {token_id!r} names {len(rows)} tokens; give more of it")
    hashes = [r.token_hash for r in rows]
    if hashes:
        conn.execute(
            sa.update(api_token).where(api_token.c.token_hash.in_(hashes)).values(revoked=True)
        )
    return [r.username for r in rows]


# --- failed logins (counted for the lockout) ---------------------------------------------


def record_login_failure(conn: Connection, username: str, address: str, when: datetime) -> None:
    conn.execute(
        sa.insert(login_failure).values(
            username=username[:128], address=address[:64], created_at=when
        )
    )


def login_failures_since(
    conn: Connection, username: str, address: str, since: datetime
) -> tuple[int, int]:
    """(failures for this username, failures from this address) after ``since``."""
    recent = login_failure.c.created_at > since

    def count(where: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(login_failure).where(where, recent)
        return int(conn.execute(query).scalar_one())

    return count(login_failure.c.username == username[:128]), count(
        login_failure.c.address == address[:64]
    )


def forget_login_failures(conn: Connection, before: datetime, username: str | None = None) -> None:
    """Drop failures older than ``before`` (and every failure of ``username``, after it
    logged in successfully)."""
    where = login_failure.c.created_at < before
    if username is not None:
        where = sa.or_(where, login_failure.c.username == username)
    conn.execute(sa.delete(login_failure).where(where))


def set_roles(conn: Connection, username: str, roles: str | list[str]) -> frozenset[Role]:
    """Replace a user's roles (checked like `add_user`'s); the roles stored."""
    try:
        parsed = parse_roles(roles)
    except ValueError as exc:
        raise DirectoryError(f"roles: {exc}") from None
    done = conn.execute(
        sa.update(app_user)
        .where(app_user.c.username == username)
        .values(roles=",".join(sorted(parsed)))
    )
    if done.rowcount == 0:
        raise DirectoryError(f"username: no user {username!r}")
    return parsed
