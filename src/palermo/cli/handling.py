"""``palermo handling``: record and list providers' consents to uses their Europol handling
codes forbid (store/handling_consent.py; docs/trust.md "Handling codes and grades")."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from palermo.cli.common import acting_viewer, console, emit, open_store
from palermo.store import handling_consent

app = typer.Typer(help="Handling codes: consents of providers (H1 court use).")

AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@app.command("consent")
def consent(
    ctx: typer.Context,
    provider: Annotated[str, typer.Option(help="The agency that provided the data")],
    reference: Annotated[str, typer.Option(help="Where the consent is documented")],
    statement: Annotated[str | None, typer.Option(help="One statement id")] = None,
    entity: Annotated[str | None, typer.Option(help="Every value of this entity")] = None,
    use: Annotated[str, typer.Option(help="The use consented to: court")] = "court",
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Record that PROVIDER consented to USE of a statement or entity by your agency."""
    if (statement is None) == (entity is None):
        raise typer.BadParameter("give exactly one of --statement and --entity")
    store = open_store(ctx)
    target = statement or entity or ""
    found = handling_consent.record_consent(
        store, acting_viewer(store, user), provider, target, use, reference
    )
    if as_json:
        emit(found.to_json(), True)
        return
    console.print(escape(f"consent of {found.provider} for {found.use} of {found.target} recorded"))


@app.command("consents")
def consents(ctx: typer.Context, user: AsUser = None, as_json: AsJson = False) -> None:
    """The consents recorded for your agency."""
    store = open_store(ctx)
    found = handling_consent.consents_of(store, acting_viewer(store, user))
    if as_json:
        emit([c.to_json() for c in found], True)
        return
    for c in found:
        console.print(escape(f"{c.provider} {c.use} {c.target} (ref {c.reference}, {c.username})"))
    if not found:
        console.print("no consents recorded")
