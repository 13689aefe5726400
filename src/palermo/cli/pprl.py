"""``palermo pprl``: the federation key and publishing encoded persons to a peer node
(coordination/federation_key.py, coordination/pprl_remote.py; docs/trust.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.markup import escape

from palermo.access.viewer import Viewer
from palermo.cli.common import CliError, acting_viewer, console, open_store
from palermo.coordination import federation_key
from palermo.exchange import registry

app = typer.Typer(help="Privacy-preserving (PPRL) hit/no-hit with peer nodes.")
key_app = typer.Typer(help="The federation key (node secret; never shown).")
app.add_typer(key_app, name="key")


@key_app.command("set")
def key_set(
    ctx: typer.Context,
    federation: Annotated[str, typer.Option(help="The federation's name")],
    secret_file: Annotated[Path, typer.Option(help="File with the shared secret (>= 32 bytes)")],
) -> None:
    """Store the federation's shared secret on this node; prints its fingerprint to
    compare with the other members out of band."""
    try:
        secret = secret_file.read_bytes().strip()
    except OSError as exc:
        raise CliError(f"--secret-file: cannot read {secret_file}: {exc.strerror}") from None
    printed = federation_key.set_key(open_store(ctx), Viewer.system(), federation, secret)
    console.print(escape(f"federation key for {federation} stored (fingerprint {printed})"))


@app.command("publish")
def publish(
    ctx: typer.Context,
    peer: Annotated[str, typer.Option(help="The peer node's id")],
    user: Annotated[str | None, typer.Option("--as", help="Acting user")] = None,
) -> None:
    """Publish your agency's encoded persons to a peer node and record the hits."""
    # Imported here: the exchange route modules pull in FastAPI, which every other CLI
    # command would otherwise pay for at start-up.
    from palermo.coordination import pprl_remote
    from palermo.exchange.psi_exchange import Refused

    store = open_store(ctx)
    with store.engine.connect() as conn:
        found = registry.get_peer(conn, peer)
    if found is None:
        raise CliError(f"--peer: no registered peer {peer!r}")
    viewer = acting_viewer(store, user)
    try:
        hits = pprl_remote.ask(store, viewer, found, pprl_remote.http_transport())
    except Refused as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    except httpx.HTTPError as exc:
        raise CliError(f"--peer: {peer} could not be reached: {exc}") from None
    console.print(escape(f"{len(hits)} hit(s) with {found.agency}"))
