"""``palermo``: the command-line entry point."""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from palermo.access.viewer import AccessDenied, NotVisible
from palermo.cli.admin import agency_app, token_app, user_app
from palermo.cli.analysis import app as analysis_app
from palermo.cli.audit import audit_app
from palermo.cli.backup import backup_command, restore_command
from palermo.cli.casework import mla_app, operation_app, victim_app
from palermo.cli.common import CliError, console, errors, open_store
from palermo.cli.coordination import (
    case_app,
    judgement_command,
    message_app,
    notice_app,
    subscription_app,
)
from palermo.cli.corrections import app as corrections_app
from palermo.cli.data import export_command, import_command, search_command, show_command
from palermo.cli.hit_notices import hits_app, precheck_app
from palermo.cli.node import app as node_app
from palermo.cli.node import sync_command
from palermo.cli.screen import app as screen_app
from palermo.cli.serve import serve_command
from palermo.store.engine import database_url, display_url

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
app.command("show")(show_command)
app.command("serve")(serve_command)
app.command("sync")(sync_command)
app.add_typer(node_app, name="node")
app.add_typer(analysis_app, name="analyze")
app.add_typer(screen_app, name="screen")
app.add_typer(corrections_app, name="correct")
app.add_typer(case_app, name="case")
app.add_typer(notice_app, name="notice")
app.add_typer(message_app, name="message")
app.add_typer(subscription_app, name="subscription")
app.add_typer(operation_app, name="operation")
app.add_typer(mla_app, name="mla")
app.add_typer(victim_app, name="victim")
app.add_typer(hits_app, name="hits")
app.add_typer(precheck_app, name="precheck")
app.add_typer(importlib.import_module("palermo.cli.retention").app, name="retention")
app.add_typer(importlib.import_module("palermo.cli.pprl").app, name="pprl")
app.add_typer(importlib.import_module("palermo.cli.identity").app, name="identity")
app.add_typer(importlib.import_module("palermo.cli.handling").app, name="handling")
app.command("judgement")(judgement_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)

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
    console.print(f"palermo database ready: {display_url(database_url(ctx.obj.get('db')))}")


def main() -> None:
    """Run the CLI; known errors print one line and exit 2, never a traceback.

    Click runs in non-standalone mode so that its usage errors (a wrong option value, a
    missing argument) come here too and print as one line naming the option, not a box."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors (typer vendors click)
        code = int(getattr(exc, "exit_code", 2))
        if type(exc).__name__ != "NoArgsIsHelpError":  # the help was printed already
            fail(_usage_line(exc), code)
        sys.exit(code)
    except typer.Abort:
        fail("aborted", 1)
    except (CliError, AccessDenied, NotVisible, ValueError, OperationalError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except OSError as exc:  # a file or directory the user named: missing, unreadable, full
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")
    sys.exit(code if isinstance(code, int) else 0)


def _usage_line(exc: Exception) -> str:
    """Click's message (it names the option) with where to read more, on one line."""
    ctx: Any = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    return " ".join(str(message).split()) + hint


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr (markup in the message is not interpreted) and the exit code."""
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    sys.exit(code)
