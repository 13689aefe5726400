"""Checking the audit chain."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from palermo.cli.common import console, emit, errors, open_store

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Recompute the hash chain, every statement's content id and what each write stored;
    exit 1 naming the first broken row, statement or write."""
    report = open_store(ctx).audit_verify()
    if json_out:
        emit(report.__dict__, True)
    elif report.ok:
        console.print(
            f"audit log intact: {report.rows_checked} rows verified; "
            f"{report.statements_checked} statements match their content ids and the "
            "writes that stored them"
        )
    elif report.broken_statement_seq is not None:
        errors.print(
            f"[red]statement store tampered at seq {report.broken_statement_seq}: "
            f"{escape(report.reason)}[/red] ({report.statements_checked} statements verified "
            "before it)"
        )
    elif report.broken_seq is None:  # a write's statements deleted (no row left to name)
        errors.print(
            f"[red]statement store tampered: {escape(report.reason)}[/red] "
            f"({report.statements_checked} statements verified)",
            soft_wrap=True,
        )
    else:
        errors.print(
            f"[red]audit log broken at row {report.broken_seq}: {escape(report.reason)}[/red] "
            f"({report.rows_checked} rows verified before it)"
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def head(ctx: typer.Context) -> None:
    """Print the newest row's seq and hash, to keep outside the database as an anchor."""
    entries = open_store(ctx).audit_entries()
    if entries:
        typer.echo(f"{entries[-1].seq} {entries[-1].hash}")


@audit_app.command("log")
def log(
    ctx: typer.Context, since: int = 0, json_out: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Show audit entries after row SINCE."""
    for entry in open_store(ctx).audit_entries(since):
        if json_out:
            emit(entry.__dict__, True)
        else:
            console.print(
                f"{entry.seq:>6} {entry.ts} {shown(entry.username)}@{shown(entry.agency)} "
                f"{shown(entry.action)} {shown(entry.target)}",
                highlight=False,
                soft_wrap=True,  # one entry, one line, whatever the terminal width
            )


def shown(text: str) -> str:
    """Text from the log as one inert line: control characters (newlines, escapes) are
    shown escaped and Rich markup is escaped, so a search query or another logged value
    cannot forge audit lines or styles in the operator's terminal."""
    visible = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
    return escape(visible)
