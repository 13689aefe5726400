"""``palermo correct``: retract, replace or narrow the sharing of one's own values.

Thin over :func:`palermo.store.corrections.correct`, the same function the API calls."""

from __future__ import annotations

from typing import Annotated

import typer

from palermo.cli.common import acting_viewer, console, emit, open_store
from palermo.ingest.audiences import checked_sharing
from palermo.model.sharing import Sharing
from palermo.store import corrections

app = typer.Typer(help="Correct your agency's values: retract, replace, or narrow sharing.")
AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
EntityId = Annotated[str, typer.Argument(help="Entity id, e.g. de-bka.p1")]
Prop = Annotated[str, typer.Argument(help="Property, e.g. birthDate")]
Value = Annotated[str, typer.Argument(help="The current value to correct")]


def _run(
    ctx: typer.Context,
    user: str | None,
    as_json: bool,
    entity_id: str,
    prop: str,
    value: str,
    action: corrections.Action,
    new_value: str | None = None,
    sharing: Sharing | None = None,
) -> None:
    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    outcome = corrections.correct(store, viewer, entity_id, prop, value, action, new_value, sharing)
    if as_json:
        emit(outcome.to_json(), True)
        return
    console.print(
        f"{action.value}: {entity_id} {prop}: {outcome.retracted} retracted, "
        f"{outcome.asserted} new",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@app.command()
def retract(
    ctx: typer.Context,
    entity_id: EntityId,
    prop: Prop,
    value: Value,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw a value (the history keeps it; peers receive the retraction)."""
    _run(ctx, user, as_json, entity_id, prop, value, corrections.Action.RETRACT)


@app.command()
def replace(
    ctx: typer.Context,
    entity_id: EntityId,
    prop: Prop,
    value: Value,
    new_value: Annotated[str, typer.Argument(help="The corrected value")],
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Replace a value: the old one is retracted, the new one written under its sharing."""
    _run(ctx, user, as_json, entity_id, prop, value, corrections.Action.REPLACE, new_value)


@app.command()
def share(
    ctx: typer.Context,
    entity_id: EntityId,
    prop: Prop,
    value: Value,
    sharing: Annotated[str, typer.Argument(help="Narrower sharing, AUDIENCE|HANDLING")],
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Narrow who may see a value (widening is refused)."""
    store = open_store(ctx)
    narrower = checked_sharing(store, sharing, "sharing")
    _run(ctx, user, as_json, entity_id, prop, value, corrections.Action.SHARE, None, narrower)
