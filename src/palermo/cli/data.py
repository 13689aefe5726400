"""Import, export and search of entity data, always as a named user."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from palermo.cli.common import CliError, acting_viewer, console, emit, errors, open_store
from palermo.ingest import ImportMode, import_file
from palermo.ingest.audiences import checked_sharing

AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="File to import")],
    as_user: AsUser = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="ftm or csv (default: by suffix)")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="YAML column mapping for CSV")] = None,
    share: Annotated[
        str, typer.Option(help="Default sharing: owner, all, AGENCY,group:NAME; may end |HANDLING")
    ] = "owner",
    handling: Annotated[str, typer.Option(help="Default handling codes, comma list")] = "",
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad/--atomic", help="Import good rows, or nothing if any is bad")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import FtM JSON lines or a mapped CSV as the acting user's agency."""
    store = open_store(ctx)
    viewer = acting_viewer(store, as_user)
    sharing = checked_sharing(store, {"scope": share, "handling": handling}, "--share")
    total = count_lines(path)
    with Progress(
        TextColumn("importing {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} lines"),
        TimeElapsedColumn(),
        console=errors,
        disable=json_out,
    ) as progress:
        task = progress.add_task(path.name, total=total)
        report = import_file(
            store,
            viewer,
            path,
            fmt,
            ImportMode.SKIP_BAD if skip_bad else ImportMode.ATOMIC,
            sharing,
            mapping,
            lambda line: progress.update(task, completed=line),
        )
    if json_out:
        emit({**report.__dict__, "errors": [e.__dict__ for e in report.errors]}, True)
    else:
        for error in report.errors[:50]:
            errors.print(f"[red]{error}[/red]")
        if len(report.errors) > 50:
            errors.print(f"... and {len(report.errors) - 50} more errors")
        state = "imported" if report.committed else "rejected, nothing imported"
        console.print(
            f"{path.name}: {report.rows_read} rows read, {report.entities_imported} "
            f"entities, {report.statements} statements, {len(report.errors)} bad rows: "
            f"{state}"
        )
    if not report.committed:
        raise typer.Exit(1)


def export_command(
    ctx: typer.Context,
    as_user: AsUser = None,
    schema: Annotated[str | None, typer.Option(help="Only this schema (and sub-schemata)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="ftm (JSON lines) or csv")] = "ftm",
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Output file (default stdout)")
    ] = None,
) -> None:
    """Export every entity the acting user may see (audited). In CSV, values that would
    start a spreadsheet formula (= + - @ tab CR) are prefixed with a single quote."""
    store = open_store(ctx)
    viewer = acting_viewer(store, as_user)
    if fmt not in ("ftm", "csv"):
        raise CliError(f"--format: {fmt!r} is not one of ftm, csv")
    fh = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        writer = csv.writer(fh) if fmt == "csv" else None
        if writer:
            writer.writerow(
                [
                    "entity_id",
                    "schema",
                    "prop",
                    "value",
                    "agency",
                    "first_seen",
                    "last_seen",
                    "policy_id",
                ]
            )
        for entity in store.export(viewer, schema=schema):
            if writer is None:
                fh.write(json.dumps(entity.to_ftm(), ensure_ascii=False) + "\n")
                continue
            for prop, values in sorted(entity.properties.items()):
                for v in values:
                    writer.writerow(
                        [
                            csv_cell(entity.id),
                            entity.schema,
                            csv_cell(prop),
                            csv_cell(v.value),
                            csv_cell(v.agency),
                            v.first_seen.isoformat(),
                            v.last_seen.isoformat() if v.last_seen else "",
                            v.policy_id,
                        ]
                    )
    finally:
        if out:
            fh.close()


# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A value safe to open in a spreadsheet: one that would start a formula gets a leading
    single quote, so values from other agencies (``=HYPERLINK(...)``) stay inert text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def search_command(
    ctx: typer.Context,
    text: str,
    as_user: AsUser = None,
    schema: Annotated[str | None, typer.Option(help="Only this schema")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find entities by name or identifier among what the acting user may see."""
    store = open_store(ctx)
    found = store.search(acting_viewer(store, as_user), text, schema=schema)
    if json_out:
        emit([e.to_ftm() for e in found], True)
        return
    for entity in found:
        console.print(
            f"[bold]{escape(entity.caption)}[/bold] {entity.schema} {escape(entity.id)} "
            f"(from {', '.join(sorted(entity.agencies))})",
            highlight=False,
        )
