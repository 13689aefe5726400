"""``palermo backup`` and ``palermo restore``: a whole node to one file and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from palermo.cli.common import console, errors
from palermo.store.backup import backup as make_backup
from palermo.store.backup import read_passphrase
from palermo.store.backup import restore as load_backup
from palermo.store.engine import create_engine

PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        help="File whose first line is the passphrase (else $PALERMO_BACKUP_PASSPHRASE)",
        dir_okay=False,
    ),
]


def backup_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup to write (a new .tar.gz file)")],
    passphrase_file: PassphraseFile = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Write a consistent snapshot of every table, with the node key and the deconfliction
    secret sealed under a passphrase. The database is read as it is (not upgraded first),
    so back up before an upgrade."""
    passphrase = read_passphrase(passphrase_file)
    engine = create_engine(ctx.ensure_object(dict).get("db"))
    try:
        summary = make_backup(engine, file, passphrase)
    finally:
        engine.dispose()
    if json_out:
        typer.echo(json.dumps(summary.__dict__))
        return
    console.print(
        f"backup {file}: {summary.tables} tables, {sum(summary.rows.values())} rows "
        f"({summary.rows.get('statement', 0)} statements, "
        f"{summary.rows.get('audit_log', 0)} audit rows), schema revision {summary.revision}"
        + (", node key sealed" if summary.node_key else ""),
        highlight=False,
        soft_wrap=True,
    )


def restore_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup written by `palermo backup`")],
    passphrase_file: PassphraseFile = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Where to write the node key (default: the path in the backup)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Restore a backup into an empty database (refused otherwise), upgrade it to this
    version's schema and verify the audit chain and every statement; exit 1 if that fails."""
    if not file.is_file():
        raise FileNotFoundError(2, "no such file", str(file))
    passphrase = read_passphrase(passphrase_file)
    engine = create_engine(ctx.ensure_object(dict).get("db"))
    try:
        summary = load_backup(engine, file, passphrase, key_file)
    finally:
        engine.dispose()
    report = summary.verify
    if json_out:
        out = {k: v for k, v in summary.__dict__.items() if k != "verify"}
        typer.echo(json.dumps({**out, "verify": report.__dict__}))
    else:
        console.print(
            f"restored {file}: {sum(summary.rows.values())} rows "
            f"({summary.rows.get('statement', 0)} statements, "
            f"{summary.rows.get('audit_log', 0)} audit rows), schema revision "
            f"{summary.revision}" + (f" upgraded to {summary.upgraded_to}"
                                     if summary.upgraded_to != summary.revision else "")
            + (f", node key written to {summary.key_file}" if summary.key_file else ""),
            highlight=False,
            soft_wrap=True,
        )  # fmt: skip
        if report.ok:
            console.print(
                f"audit log intact: {report.rows_checked} rows verified; "
                f"{report.statements_checked} statements match their content ids",
                highlight=False,
            )
        else:
            errors.print(f"audit verify failed after restore: {report.reason}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
