"""``palermo identity``: resolve a view's identities, read its ledger, undo a merge or split.

Thin over `match.ledger_access`, the functions the API and the web page call: the acting
user sees and undoes only its own view's entries (another view's entry does not exist for
it), and every command is audited there. `ledger` and `undo` read for ``--purpose`` (H0,
ADR 0051; none declared without it), as the API and the page do: an entry that rests on
values withheld from it is listed held (whom to ask) and is not undone."""

from __future__ import annotations

from typing import Annotated

import typer

from palermo.cli.common import acting_viewer, console, emit, open_store
from palermo.cli.data import ReadPurpose, checked_read_purpose
from palermo.match import ledger_access

app = typer.Typer(help="Identities: resolve your view, read the merge ledger, undo an entry.")
AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


@app.command()
def resolve(
    ctx: typer.Context,
    user: AsUser = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="link probability to join records")
    ] = 0.9,
    as_json: AsJson = False,
) -> None:
    """Resolve every person record you may see; merges and splits go to the ledger."""
    store = open_store(ctx)
    done = ledger_access.resolve(store, acting_viewer(store, user), threshold)
    if as_json:
        emit(done.to_json(), True)
        return
    entries = ", ".join(f"#{s}" for s in done.entries) or "none"
    _say(
        f"{done.records} records, {done.identities} identities, model {done.model_version}; "
        f"new ledger entries: {entries}"
    )


@app.command("ledger")
def show_ledger(
    ctx: typer.Context,
    user: AsUser = None,
    limit: Annotated[int, typer.Option(min=1, max=ledger_access.MAX_PAGE)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Your view's merges, splits and undos, newest first."""
    store = open_store(ctx).for_purpose(checked_read_purpose(purpose))
    total, rows = ledger_access.ledger_page(store, acting_viewer(store, user), limit, offset)
    if as_json:
        emit({"total": total, "offset": offset, "items": [r.to_json() for r in rows]}, True)
        return
    if not rows:
        _say("(no ledger entries)")
        return
    for row in rows:
        status = f" undone by #{row.undone_by}" if row.undone_by else ""
        undoes = f" of #{row.undoes}" if row.undoes else ""
        _say(f"#{row.seq} {row.action}{undoes} by {row.actor} at {row.at[:19]}{status}")
        if row.held:
            _say(f"  {row.held}")
            continue
        _say(f"  before: {_groups(row.before)}")
        _say(f"  after:  {_groups(row.after)}")
    _say(f"{offset + 1}-{offset + len(rows)} of {total}")


def _groups(groups: list[ledger_access.IdentityView]) -> str:
    parts = []
    for g in groups:
        names = [m.id for m in g.records] + ([f"{g.hidden} not visible"] if g.hidden else [])
        marking = f" {g.handling}" if g.handling.strip("|") else ""  # HANDLING|GRADE
        parts.append(f"{g.id} [{', '.join(names)}]{marking}")
    return "; ".join(parts)


@app.command()
def undo(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(min=1, help="The ledger entry's number (#N)")],
    user: AsUser = None,
    reason: Annotated[str, typer.Option(help="why (kept with the judgement)")] = "",
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Undo a merge or split: the identities as they were, kept so by your judgement."""
    store = open_store(ctx).for_purpose(checked_read_purpose(purpose))
    done = ledger_access.undo_entry(store, acting_viewer(store, user), entry, reason)
    if as_json:
        emit(done.to_json(), True)
        return
    _say(f"undone: entry #{entry} by #{done.seq}; identities now {_groups(done.after)}")
