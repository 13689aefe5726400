"""``palermo retention``: the review queue, keep-or-erase decisions, the sweep and the coded
periods (coordination/retention.py; docs/trust.md "Retention and review")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape

from palermo.access.viewer import Viewer
from palermo.cli.common import CliError, acting_viewer, console, emit, open_store
from palermo.coordination import retention

app = typer.Typer(help="Retention and review clocks: records due for review, keep or erase.")

AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Reason = Annotated[str, typer.Option(help="Why (recorded and audited)")]


@app.command("list")
def retention_list(ctx: typer.Context, user: AsUser = None, as_json: AsJson = False) -> None:
    """Your agency's records that reached their review."""
    store = open_store(ctx)
    found = retention.queued(store, acting_viewer(store, user))
    if as_json:
        emit([i.to_json() for i in found], True)
        return
    for i in found:
        until = f", erased {i.max_due:%Y-%m-%d}" if i.max_due else ""
        console.print(escape(f"{i.entity_id} {i.kind}: review due {i.review_due:%Y-%m-%d}{until}"))
    if not found:
        console.print("no records await review")


@app.command("keep")
def retention_keep(ctx: typer.Context, entity_id: str, reason: Reason, user: AsUser = None) -> None:
    """Keep a record under review for another period."""
    store = open_store(ctx)
    item = retention.keep(store, acting_viewer(store, user), entity_id, reason)
    console.print(escape(f"{entity_id} kept: next review {item.review_due:%Y-%m-%d}"))


@app.command("erase")
def retention_erase(
    ctx: typer.Context, entity_id: str, reason: Reason, user: AsUser = None
) -> None:
    """Erase a record under review now: your agency's values of it are retracted everywhere."""
    store = open_store(ctx)
    count = retention.erase(store, acting_viewer(store, user), entity_id, reason)
    console.print(escape(f"{entity_id} erased ({count} statements retracted)"))


@app.command("sweep")
def retention_sweep(
    ctx: typer.Context,
    at: Annotated[
        str | None, typer.Option(help="Sweep as of this ISO date (default: now; for drills)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Queue records due for review and erase those past their maximum (the server's
    worker does this hourly)."""
    now = _when(at)
    report = retention.sweep(open_store(ctx), now)
    if as_json:
        emit(report.to_json(), True)
        return
    console.print(
        f"{len(report.queued)} queued for review, {len(report.erased)} erased, "
        f"{len(report.purge.purged)} purged, {len(report.purge.waiting)} awaiting peers"
    )
    for agency, entity_id, why in report.failed:
        console.print(escape(f"not erased: {agency} {entity_id}: {why}"))


@app.command("periods")
def retention_periods(
    ctx: typer.Context,
    jurisdiction: Annotated[str | None, typer.Argument(help="e.g. EU, DE; default: all")] = None,
    as_json: AsJson = False,
) -> None:
    """The coded review and maximum periods (years) per data kind."""
    codes = [jurisdiction] if jurisdiction else list(retention.jurisdictions())
    found = [retention.jurisdiction(c) for c in codes]
    if as_json:
        emit([j.to_json() for j in found], True)
        return
    for j in found:
        mark = " (illustrative)" if j.illustrative else ""
        console.print(escape(f"{j.code}: {j.name}{mark}"))
        for kind, p in sorted(j.periods.items()):
            most = f"{p.max_years:g}" if p.max_years is not None else "none"
            console.print(escape(f"  {kind}: review {p.review_years:g}, maximum {most}"))


@app.command("set")
def retention_set(
    ctx: typer.Context,
    agency: str,
    jurisdiction: Annotated[str, typer.Option(help="Whose coded periods, e.g. EU")],
) -> None:
    """Choose the jurisdiction whose periods an agency follows (default: its country's)."""
    chosen = retention.set_jurisdiction(open_store(ctx), Viewer.system(), agency, jurisdiction)
    console.print(escape(f"{agency} follows {chosen.code} retention periods"))


def _when(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        found = datetime.fromisoformat(at)
    except ValueError:
        raise CliError(f"--at: {at!r} is not an ISO date or time") from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
