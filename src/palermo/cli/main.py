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
from palermo.cli.common import CliError, console, errors, open_store
from palermo.store.engine import database_url, display_url

# Every command and sub-app, in the order `palermo --help` lists them: name -> (module,
# attribute, whether it is a sub-app). A command line imports only the module of the command
# it names (`_app`): importing all of them took a third of every command's start-up, and the
# documentation walk-throughs and process tests start the CLI hundreds of times.
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "agency": ("palermo.cli.admin", "agency_app", True),
    "user": ("palermo.cli.admin", "user_app", True),
    "token": ("palermo.cli.admin", "token_app", True),
    "audit": ("palermo.cli.audit", "audit_app", True),
    "import": ("palermo.cli.data", "import_command", False),
    "export": ("palermo.cli.data", "export_command", False),
    "search": ("palermo.cli.data", "search_command", False),
    "show": ("palermo.cli.data", "show_command", False),
    "serve": ("palermo.cli.serve", "serve_command", False),
    "sync": ("palermo.cli.node", "sync_command", False),
    "node": ("palermo.cli.node", "app", True),
    "analyze": ("palermo.cli.analysis", "app", True),
    "screen": ("palermo.cli.screen", "app", True),
    "correct": ("palermo.cli.corrections", "app", True),
    "case": ("palermo.cli.coordination", "case_app", True),
    "notice": ("palermo.cli.coordination", "notice_app", True),
    "message": ("palermo.cli.coordination", "message_app", True),
    "subscription": ("palermo.cli.coordination", "subscription_app", True),
    "operation": ("palermo.cli.casework", "operation_app", True),
    "mla": ("palermo.cli.casework", "mla_app", True),
    "victim": ("palermo.cli.casework", "victim_app", True),
    "hits": ("palermo.cli.hit_notices", "hits_app", True),
    "precheck": ("palermo.cli.hit_notices", "precheck_app", True),
    "retention": ("palermo.cli.retention", "app", True),
    "pprl": ("palermo.cli.pprl", "app", True),
    "identity": ("palermo.cli.identity", "app", True),
    "handling": ("palermo.cli.handling", "app", True),
    "judgement": ("palermo.cli.coordination", "judgement_command", False),
    "backup": ("palermo.cli.backup", "backup_command", False),
    "restore": ("palermo.cli.backup", "restore_command", False),
}
# Sub-apps of the higher packages, mounted when present.
OPTIONAL_APPS = {"world": "palermo.cli.world", "demo": "palermo.cli.demo"}


def _app(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with only the command ONLY (and `init`, defined here):
    the same command, its options and its help, without importing the others."""
    app = typer.Typer(
        help="palermo: federated intelligence against human trafficking.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    for name, (module, attribute, sub_app) in COMMANDS.items():
        if only is None or name == only:
            target = getattr(importlib.import_module(module), attribute)
            if sub_app:
                app.add_typer(target, name=name)
            else:
                app.command(name)(target)
    for name, module in OPTIONAL_APPS.items():
        if only is None or name == only:
            with contextlib.suppress(ModuleNotFoundError):
                app.add_typer(importlib.import_module(module).app, name=name)
    app.callback()(root)
    app.command()(init)
    return app


def _named_command(args: list[str]) -> str | None:
    """The command a command line names (its first word after `--db`), if that is one of
    `COMMANDS` or `OPTIONAL_APPS`; None (so the whole CLI) for anything else, such as
    `--help` before the command, which lists every command."""
    i = 0
    while i < len(args) and (args[i] == "--db" or args[i].startswith("--db=")):
        i += 2 if args[i] == "--db" else 1
    if i < len(args) and (args[i] in COMMANDS or args[i] in OPTIONAL_APPS):
        return args[i]
    return None


def __getattr__(name: str) -> Any:
    """`app`, the whole CLI (for tests and Typer's runner), built on first use."""
    if name == "app":
        whole = globals()["app"] = _app()
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(envvar="PALERMO_DB", help="Database URL (default sqlite:///palermo.db)"),
    ] = None,
) -> None:
    ctx.ensure_object(dict)["db"] = db


def init(ctx: typer.Context) -> None:
    """Create or upgrade this node's database."""
    open_store(ctx)
    console.print(f"palermo database ready: {display_url(database_url(ctx.obj.get('db')))}")


def main() -> None:
    """Run the CLI; known errors print one line and exit 2, never a traceback.

    Click runs in non-standalone mode so that its usage errors (a wrong option value, a
    missing argument) come here too and print as one line naming the option, not a box."""
    try:
        code = _app(_named_command(sys.argv[1:]))(standalone_mode=False)
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
