"""``palermo hits`` (hit notices and their follow-up) and ``palermo precheck`` (accounts
for outside organisations and the node's pre-check key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape

from palermo.access.viewer import Viewer
from palermo.cli.common import acting_viewer, console, emit, open_store
from palermo.coordination import hit_notices, precheck
from palermo.store.directory import Agency

hits_app = typer.Typer(help="Hit notices: who hit your records, follow-up, replies.")
precheck_app = typer.Typer(help="Name-free pre-check accounts for carriers, banks, NGOs.")

AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@hits_app.command("list")
def hits_list(
    ctx: typer.Context,
    user: AsUser = None,
    status: Annotated[str | None, typer.Option(help="open, overdue or answered")] = None,
    as_json: AsJson = False,
) -> None:
    """Notices of other agencies' hits on your agency's records."""
    store = open_store(ctx)
    found = hit_notices.received(store, acting_viewer(store, user), status)
    if as_json:
        emit([n.to_json() for n in found], True)
        return
    for n in found:
        purpose = f" ({n.purpose})" if n.purpose else ""
        console.print(
            escape(
                f"{n.id} {n.record_id} hit by {n.searcher_agency} via {n.channel}{purpose} "
                f"x{n.hits}, due {n.due_at:%Y-%m-%d %H:%M} UTC, {n.status}"
            )
        )
    if not found:
        console.print("no hit notices")


@hits_app.command("sent")
def hits_sent(ctx: typer.Context, user: AsUser = None, as_json: AsJson = False) -> None:
    """Follow-ups your agency's hits opened elsewhere, with the owners' replies."""
    store = open_store(ctx)
    found = hit_notices.sent(store, acting_viewer(store, user))
    if as_json:
        emit([f.to_json() for f in found], True)
        return
    for f in found:
        answer = f": {f.reply}" if f.reply else ""
        console.print(escape(f"{f.id} {f.owner_agency} via {f.channel}, {f.status}{answer}"))
    if not found:
        console.print("no follow-ups")


@hits_app.command("reply")
def hits_reply(
    ctx: typer.Context,
    notice_id: int,
    text: Annotated[str, typer.Option(help="The answer the searching agency reads")],
    user: AsUser = None,
) -> None:
    """Answer a notice about one of your agency's records."""
    store = open_store(ctx)
    hit_notices.reply(store, acting_viewer(store, user), notice_id, text)
    console.print(f"notice {notice_id} answered")


@hits_app.command("sweep")
def hits_sweep(ctx: typer.Context) -> None:
    """Mark overdue notices and re-notify their owners (the server's worker does this)."""
    reminded = hit_notices.sweep(open_store(ctx))
    console.print(f"{len(reminded)} reminders")


@hits_app.command("deadline")
def hits_deadline(
    ctx: typer.Context,
    agency: str,
    hours: Annotated[int, typer.Option(min=1, max=hit_notices.MAX_DEADLINE_HOURS)],
) -> None:
    """Set an agency's follow-up deadline in hours (default 48)."""
    hit_notices.set_deadline(open_store(ctx), Viewer.system(), agency, hours)
    console.print(f"{escape(agency)}: follow up within {hours} h")


@precheck_app.command("add")
def precheck_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Organisation code, e.g. XX-AIRLINE")],
    name: Annotated[str, typer.Option(help="Full name")],
    country: Annotated[str, typer.Option(help="ISO 3166 alpha-2 country code")],
    kind: Annotated[str, typer.Option(help="Directory kind: other (carriers, banks) or ngo")] = (
        "other"
    ),
    username: Annotated[str | None, typer.Option(help="Account (default: precheck-CODE)")] = None,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days until the token expires")] = 90,
) -> None:
    """Register an outside organisation with a pre-check account; prints its token once."""
    store = open_store(ctx)
    system = Viewer.system()
    if not any(a.code == code for a in store.agencies()):
        store.add_agency(system, Agency(code, name, country.upper(), kind))
    account = username or f"precheck-{code.lower()}"
    store.add_user(system, account, code, "precheck", name)
    expires = datetime.now(UTC) + timedelta(days=days)
    typer.echo(store.create_token(system, account, "precheck", expires))


@precheck_app.command("key")
def precheck_key(ctx: typer.Context) -> None:
    """The node's pre-check key (hex), for submitters that send keyed hashes."""
    typer.echo(precheck.precheck_key(open_store(ctx)).hex())
