"""Import, export and search of entity data, always as a named user."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from palermo.cli.common import CliError, acting_viewer, console, emit, errors, open_store
from palermo.ingest import ImportMode, import_file
from palermo.ingest.audiences import checked_sharing
from palermo.store.export_format import write_lines
from palermo.store.marked_export import check_export_purpose, marked_lines
from palermo.store.purpose_view import read_purpose, withheld_note
from palermo.store.views import Entity

AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
ReadPurpose = Annotated[
    str | None,
    typer.Option(
        "--purpose",
        help="Declared purpose of the read (investigation, analysis, ...): other agencies' "
        "values stated (H0) for other purposes are left out; without it, every value "
        "stated for any purpose is left out (ADR 0051)",
    ),
]


def checked_read_purpose(purpose: str | None) -> str:
    """``--purpose`` as a read purpose, or a one-line error naming the option."""
    try:
        return read_purpose(purpose, "--purpose")
    except ValueError as exc:
        raise CliError(str(exc)) from None


def ftm_with_withheld(entity: Entity) -> dict[str, object]:
    """The FtM JSON of a read entity, naming what H0 withheld from it (when anything)."""
    data: dict[str, object] = dict(entity.to_ftm())
    if entity.withheld:
        data["withheld"] = entity.withheld
        data["withheld_note"] = withheld_note(entity.withheld_owners)
    return data


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
        str,
        typer.Option(
            help="Default sharing: owner, all, AGENCY,group:NAME; may end |HANDLING|GRADE "
            "(e.g. all|H1|B2)"
        ),
    ] = "owner",
    handling: Annotated[str, typer.Option(help="Default handling codes, comma list")] = "",
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad/--atomic", help="Import good rows, or nothing if any is bad")
    ] = False,
    same_names: Annotated[
        str | None,
        typer.Option(
            "--same-names",
            help="merge or keep Person records of this file with identical full names and no "
            "contradicting field (default: the mapping's same_name, merge; FtM JSON: keep); "
            "split undoes an earlier merging import of the file",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import FtM JSON lines, or CSV with a followthemoney mapping, as your agency."""
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
            same_names,
        )
    if json_out:
        emit(
            {
                **report.__dict__,
                "errors": [e.__dict__ for e in report.errors],
                "merged": [m.__dict__ for m in report.merged],
                "split": [m.__dict__ for m in report.split],
            },
            True,
        )
    else:
        for verb, merges in (("merged", report.merged), ("split", report.split)):
            for m in merges[:50]:
                console.print(
                    f"same name, {verb}: {escape(m.name)} (line {m.lines[1]} "
                    f"{'into' if verb == 'merged' else 'from'} line {m.lines[0]})",
                    highlight=False,
                )
            if len(merges) > 50:
                console.print(f"... and {len(merges) - 50} more {verb}")
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
    purpose: Annotated[
        str | None,
        typer.Option(
            help="Declared use: leave out lines with other agencies' H0 values stated for "
            "other purposes and, for court, H1 values lacking consent"
        ),
    ] = None,
) -> None:
    """Export every entity the acting user may see (audited). Each line carries its
    handling codes and grade (FtM: "handling", H3 texts also in "restrictions"; CSV: the
    value's own, its H3 texts in the "restrictions" column). In CSV, values that
    would start a spreadsheet formula (= + - @ tab CR) are prefixed with a single quote."""
    store = open_store(ctx)
    viewer = acting_viewer(store, as_user)
    if fmt not in ("ftm", "csv"):
        raise CliError(f"--format: {fmt!r} is not one of ftm, csv")
    if purpose is not None:
        try:
            purpose = check_export_purpose(purpose)
        except ValueError as exc:
            raise CliError(f"--{exc}") from None
    fh = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:  # the same writer as GET /api/v1/export (store.export_format)
        refused = write_lines(marked_lines(store, viewer, schema, purpose), fmt, fh)
    finally:
        if out:
            fh.close()
    for r in refused:
        errors.print(escape(f"refused for {purpose}: {r.reason}"), soft_wrap=True)
    if refused:
        raise typer.Exit(1)


def search_command(
    ctx: typer.Context,
    text: str,
    as_user: AsUser = None,
    schema: Annotated[str | None, typer.Option(help="Only this schema")] = None,
    limit: Annotated[int, typer.Option(help="Results per page")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many results")] = 0,
    agency: Annotated[str | None, typer.Option(help="Only matches an agency said")] = None,
    country: Annotated[str | None, typer.Option(help="Only entities with this country")] = None,
    topic: Annotated[str | None, typer.Option(help="Only entities with this topic")] = None,
    facets: Annotated[bool, typer.Option("--facets", help="Also count matches by facet")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    purpose: ReadPurpose = None,
) -> None:
    """Find entities by name (any script) or identifier (any spacing or format) among what
    the acting user may see; every word must match, the last as a prefix."""
    declared = checked_read_purpose(purpose)
    store = open_store(ctx)
    found = store.search(
        acting_viewer(store, as_user),
        text,
        schema=schema,
        limit=limit,
        offset=offset,
        agency=agency,
        country=country,
        topic=topic,
        purpose=declared,
    )
    if json_out:
        entities = [ftm_with_withheld(e) for e in found]
        page = {"results": entities, "total": found.total, "facets": found.facets}
        emit(page if facets else entities, True)
        return
    for entity in found:
        console.print(
            f"[bold]{escape(entity.caption)}[/bold] {entity.schema} {escape(entity.id)} "
            f"(from {', '.join(sorted(entity.agencies))})",
            highlight=False,
        )
        if entity.withheld:
            console.print(f"  {escape(withheld_note(entity.withheld_owners))}", highlight=False)
    if found.total > offset + len(found):
        console.print(
            f"({offset + 1}-{offset + len(found)} of {found.total}; "
            f"--offset {offset + len(found)} for more)",
            highlight=False,
        )
    if facets:
        for name, counts in found.facets.items():
            shown = ", ".join(f"{escape(v)} {c}" for v, c in counts[:10])
            console.print(f"{name}: {shown or '-'}", highlight=False)


def show_command(
    ctx: typer.Context,
    entity_id: str,
    as_user: AsUser = None,
    purpose: ReadPurpose = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One entity as the acting user may see it, for the declared purpose (audited)."""
    declared = checked_read_purpose(purpose)
    store = open_store(ctx)
    entity = store.entity(acting_viewer(store, as_user), entity_id, purpose=declared)
    if entity is None:
        raise CliError(f"entity_id: no visible entity {entity_id!r}")
    if json_out:
        emit(ftm_with_withheld(entity), True)
        return
    console.print(f"[bold]{escape(entity.caption)}[/bold] {entity.schema} {escape(entity.id)}")
    for prop, values in sorted(entity.properties.items()):
        for v in values:
            console.print(f"  {prop}: {escape(v.value)} ({v.agency})", highlight=False)
    if entity.withheld:
        props = ", ".join(sorted(entity.withheld))
        note = withheld_note(entity.withheld_owners)
        console.print(f"  {escape(note)} ({props})", highlight=False)
