"""``palermo node`` and ``palermo sync``: this node's identity, its peers, and pushing batches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from palermo.cli.common import console, emit, open_store
from palermo.exchange import registry
from palermo.exchange.sync import sync_all

app = typer.Typer(help="This node's identity and its peer nodes.", no_args_is_help=True)


@app.command("init")
def init(
    ctx: typer.Context,
    node_id: Annotated[str, typer.Option(help="This node's id, e.g. de-bka-1")],
    agency: Annotated[str, typer.Option(help="The agency this node belongs to")],
    key_file: Annotated[Path, typer.Option(help="Where the private key lives")] = Path(
        "var/node.key"
    ),
) -> None:
    """Create this node's Ed25519 key (or reuse the one in KEY_FILE) and record its identity."""
    with open_store(ctx).transaction() as conn:
        ident = registry.init_node(conn, node_id, agency, key_file)
    emit({"node_id": ident.node_id, "agency": ident.agency, "public_key": ident.public_key}, True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print this node's identity (give the public key to peers)."""
    with open_store(ctx).engine.connect() as conn:
        ident = registry.identity(conn)
    if ident is None:
        raise typer.BadParameter("this node has no identity yet: run `palermo node init`")
    emit({"node_id": ident.node_id, "agency": ident.agency, "public_key": ident.public_key}, True)


@app.command("add-peer")
def add_peer(
    ctx: typer.Context,
    node_id: str,
    agency: Annotated[str, typer.Option(help="The peer's agency code")],
    endpoint: Annotated[str, typer.Option(help="Base URL, e.g. https://palermo.kmar.nl")],
    public_key: Annotated[str, typer.Option(help="The peer's base64 Ed25519 public key")],
) -> None:
    """Register a member node."""
    with open_store(ctx).transaction() as conn:
        registry.add_peer(conn, node_id, agency, endpoint, public_key)
    console.print(f"added peer [bold]{node_id}[/bold] ({agency}) at {endpoint}")


@app.command("add-key")
def add_key(ctx: typer.Context, node_id: str, public_key: str) -> None:
    """Register a peer's rotated key; its previous key retires."""
    with open_store(ctx).transaction() as conn:
        registry.add_key(conn, node_id, public_key)
    console.print(f"new key for {node_id} active; previous key retired")


@app.command("revoke-key")
def revoke_key(ctx: typer.Context, public_key: str) -> None:
    """Revoke a peer key: batches signed with it are rejected from now on."""
    with open_store(ctx).transaction() as conn:
        registry.revoke_key(conn, public_key)
    console.print("key revoked")


@app.command("rotate-key")
def rotate_key(ctx: typer.Context) -> None:
    """Give this node a new key; tell peers with `palermo node add-key`."""
    with open_store(ctx).transaction() as conn:
        ident = registry.rotate_own_key(conn)
    emit({"node_id": ident.node_id, "public_key": ident.public_key}, True)


@app.command("peers")
def peers(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List registered peers."""
    with open_store(ctx).engine.connect() as conn:
        members = registry.peers(conn)
    if json_out:
        typer.echo(json.dumps([{"node": p.node_id, "agency": p.agency, "endpoint": p.endpoint}
                               for p in members]))  # fmt: skip
        return
    table = Table("node", "agency", "endpoint")
    for p in members:
        table.add_row(p.node_id, p.agency, p.endpoint)
    console.print(table)


def sync_command(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Push to every peer what it is owed; resumes from each peer's last acknowledgement."""
    results = sync_all(open_store(ctx))
    if json_out:
        typer.echo(json.dumps([r.__dict__ for r in results]))
    else:
        for r in results:
            state = f"[red]{r.error}[/red]" if r.error else "up to date"
            console.print(
                f"{r.node_id}: {r.statements} statements in {r.batches} batches, "
                f"cursor {r.cursor}: {state}"
            )
    if any(r.error for r in results):
        raise typer.Exit(1)
