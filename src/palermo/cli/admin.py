"""Node administration: agencies, groups, users, tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from palermo.access.viewer import Viewer
from palermo.cli.common import console, emit, open_store
from palermo.store.directory import Agency

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


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    username: str,
    label: Annotated[str, typer.Option(help="What the token is for")] = "cli",
) -> None:
    """Create an API token for a user; it is printed once and stored only as a hash."""
    token = open_store(ctx).create_token(Viewer.system(), username, label)
    typer.echo(token)
