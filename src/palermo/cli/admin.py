"""Node administration: agencies, groups, users, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.cli.common import CliError, console, emit, open_store
from palermo.store import user_admin
from palermo.store.directory import DEFAULT_TOKEN_LIFETIME, Agency

agency_app = typer.Typer(help="Member agencies of this node's network.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Agency code, e.g. DE-BKA")],
    name: Annotated[str, typer.Option(help="Full name")],
    country: Annotated[str, typer.Option(help="ISO 3166 alpha-2 country code")],
    kind: Annotated[str, typer.Option(help="police, border, ngo, prosecutor, labour, ...")],
    group: Annotated[list[str] | None, typer.Option(help="Sharing group, e.g. EU")] = None,
) -> None:
    """Register an agency (and its sharing groups)."""
    store = open_store(ctx)
    store.add_agency(Viewer.system(), Agency(code, name, country.upper(), kind, tuple(group or ())))
    console.print(f"added agency [bold]{code}[/bold]")


@agency_app.command("list")
def agency_list(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List the agencies this node knows."""
    agencies = open_store(ctx).agencies()
    if json_out:
        emit([a.__dict__ for a in agencies], True)
        return
    table = Table("code", "name", "country", "kind", "groups")
    for a in agencies:
        table.add_row(a.code, a.name, a.country, a.kind, ", ".join(a.groups))
    console.print(table)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: str,
    agency: Annotated[str, typer.Option(help="Agency code")],
    roles: Annotated[
        str, typer.Option(help="Comma list: analyst, officer, supervisor, victim-support, admin")
    ],
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password: Annotated[str | None, typer.Option(help="Password for the web UI")] = None,
) -> None:
    """Create a user in an agency."""
    user = open_store(ctx).add_user(Viewer.system(), username, agency, roles, name, password)
    console.print(f"added user [bold]{user.username}[/bold] ({', '.join(sorted(user.roles))})")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    agency: Annotated[str | None, typer.Option(help="Only this agency's users")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List users, their roles and whether they are disabled."""
    users = open_store(ctx).users(agency)
    rows = [
        {
            "username": u.username,
            "agency": u.agency,
            "name": u.display_name,
            "roles": sorted(u.roles),
            "disabled": u.disabled,
        }
        for u in users
    ]
    if json_out:
        emit(rows, True)
        return
    table = Table("username", "agency", "name", "roles", "status")
    for u in users:
        status = "[red]disabled[/red]" if u.disabled else "active"
        cells = (u.username, u.agency, u.display_name, ", ".join(sorted(u.roles)))
        table.add_row(*(escape(c) for c in cells), status)
    console.print(table)


@user_app.command("disable")
def user_disable(ctx: typer.Context, username: str) -> None:
    """Disable a user: login is refused and every token of the user stops working at once
    (a running server notices within a few seconds)."""
    open_store(ctx).set_user_disabled(Viewer.system(), username, True)
    console.print(f"disabled user [bold]{escape(username)}[/bold]")


@user_app.command("enable")
def user_enable(ctx: typer.Context, username: str) -> None:
    """Enable a disabled user again (revoked tokens stay revoked)."""
    open_store(ctx).set_user_disabled(Viewer.system(), username, False)
    console.print(f"enabled user [bold]{escape(username)}[/bold]")


@user_app.command("roles")
def user_roles(
    ctx: typer.Context,
    username: str,
    roles: Annotated[
        str, typer.Argument(help="Comma list replacing the user's roles, e.g. analyst,admin")
    ],
) -> None:
    """Replace a user's roles; their tokens carry the new roles from the next request on."""
    row = user_admin.set_roles(open_store(ctx), Viewer.system(), username, roles)
    console.print(f"roles of [bold]{escape(username)}[/bold]: {escape(', '.join(row.roles))}")


@user_app.command("set-password")
def user_set_password(
    ctx: typer.Context,
    username: str,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="New password"),
    ],
) -> None:
    """Set a user's web password (asked for twice unless given); their web sessions end."""
    open_store(ctx).set_password(Viewer.system(), username, password)
    console.print(f"password set for [bold]{escape(username)}[/bold]; web sessions ended")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    username: str,
    label: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    days: Annotated[
        int,
        typer.Option(min=1, max=3650, help="Days until the token expires (every token expires)"),
    ] = DEFAULT_TOKEN_LIFETIME.days,
) -> None:
    """Create an API token for a user; it is printed once and stored only as a hash."""
    expires = datetime.now(UTC) + timedelta(days=days)
    token = open_store(ctx).create_token(Viewer.system(), username, label, expires)
    typer.echo(token)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Only this user's tokens")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List tokens by id (a prefix of the stored hash; the token itself is never kept)."""
    tokens = open_store(ctx).tokens(user)
    rows = [
        {
            "id": t.id,
            "username": t.username,
            "label": t.label,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "status": "revoked" if t.revoked else ("active" if t.active else "expired"),
        }
        for t in tokens
    ]
    if json_out:
        emit(rows, True)
        return
    table = Table("id", "user", "label", "created", "expires", "status")
    for r in rows:
        table.add_row(*(escape(str(r[k])) for k in r))
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[str | None, typer.Argument(help="Token id from `token list`")] = None,
    user: Annotated[str | None, typer.Option(help="Revoke this user's tokens")] = None,
    label: Annotated[str | None, typer.Option(help="Revoke tokens with this label")] = None,
) -> None:
    """Revoke tokens by id, by user and/or by label; they stop working at once (a running
    server notices within a few seconds)."""
    if token_id is None and user is None and label is None:
        raise CliError("token revoke: give a token id, --user or --label")
    count = open_store(ctx).revoke_tokens(Viewer.system(), user, token_id, label)
    console.print(f"revoked {count} token{'s' if count != 1 else ''}")
