"""Checking the audit chain."""

from __future__ import annotations

from typing import Annotated

import typer

from palermo.cli.common import console, emit, errors, open_store

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Recompute the hash chain; exit 1 naming the first broken row."""
    report = open_store(ctx).audit_verify()
    if json_out:
        emit(report.__dict__, True)
    elif report.ok:
        console.print(f"audit log intact: {report.rows_checked} rows verified")
    else:
        errors.print(
            f"[red]audit log broken at row {report.broken_seq}: {report.reason}[/red] "
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
                f"{entry.seq:>6} {entry.ts} {entry.username}@{entry.agency} "
                f"{entry.action} {entry.target}"
            )
