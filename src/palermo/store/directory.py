"""Agencies, groups, users and API tokens: who the members of the network are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.credentials import hash_password, new_token, token_hash
from palermo.access.viewer import Role, Viewer, parse_roles
from palermo.store.tables import agency, agency_group, api_token, app_user, group_member

AGENCY_KINDS = ("police", "border", "ngo", "prosecutor", "labour", "central-bureau", "other")


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

    def viewer(self) -> Viewer:
        return Viewer(agency=self.agency, username=self.username, roles=self.roles)


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
    return User(row.username, row.agency_code, row.display_name, parse_roles(row.roles))


def password_hash_of(conn: Connection, username: str) -> str | None:
    query = sa.select(app_user.c.password_hash).where(app_user.c.username == username)
    return conn.execute(query).scalar()


def create_token(
    conn: Connection, username: str, label: str, expires_at: datetime | None = None
) -> str:
    if get_user(conn, username) is None:
        raise DirectoryError(f"username: no user {username!r}")
    token = new_token()
    conn.execute(
        sa.insert(api_token).values(
            token_hash=token_hash(token),
            username=username,
            label=label,
            created_at=datetime.now(UTC),
            expires_at=expires_at,
            revoked=False,
        )
    )
    return token


def user_for_token(conn: Connection, token: str) -> User | None:
    row = conn.execute(
        sa.select(api_token).where(api_token.c.token_hash == token_hash(token))
    ).first()
    if row is None or row.revoked:
        return None
    expires = row.expires_at
    if expires is not None:
        expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        if expires <= datetime.now(UTC):
            return None
    return get_user(conn, row.username)
