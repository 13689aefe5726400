"""``palermo``: the command-line entry point."""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from palermo.access.viewer import AccessDenied
from palermo.cli.admin import agency_app, token_app, user_app
from palermo.cli.analysis import app as analysis_app
from palermo.cli.audit import audit_app
from palermo.cli.common import CliError, console, errors, open_store
from palermo.cli.data import export_command, import_command, search_command
from palermo.cli.node import app as node_app
from palermo.cli.node import sync_command
from palermo.cli.screen import app as screen_app
from palermo.cli.serve import serve_command
from palermo.store.engine import database_url

app = typer.Typer(
    help="palermo: federated intelligence against human trafficking.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.command("import")(import_command)
app.command("export")(export_command)
app.command("search")(search_command)
app.command("serve")(serve_command)
app.command("sync")(sync_command)
app.add_typer(node_app, name="node")
app.add_typer(analysis_app, name="analyze")
app.add_typer(screen_app, name="screen")

# Sub-apps of the higher packages, mounted when present.
OPTIONAL_APPS = {"world": "palermo.cli.world", "demo": "palermo.cli.demo"}
for _name, _module in OPTIONAL_APPS.items():
    with contextlib.suppress(ModuleNotFoundError):
        app.add_typer(importlib.import_module(_module).app, name=_name)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(envvar="PALERMO_DB", help="Database URL (default sqlite:///palermo.db)"),
    ] = None,
) -> None:
    ctx.ensure_object(dict)["db"] = db


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade this node's database."""
    open_store(ctx)
    console.print(f"palermo database ready: {database_url(ctx.obj.get('db'))}")


def main() -> None:
    """Run the CLI; known errors print one line and exit 2, never a traceback."""
    try:
        app()
    except (CliError, AccessDenied, ValueError, OperationalError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        errors.print(f"[red]error:[/red] {message}")
        sys.exit(2)
