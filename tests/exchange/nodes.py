"""A small federation in one process: three nodes, each with its own store and key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from palermo.access.viewer import Viewer
from palermo.exchange import inbox, registry
from palermo.exchange.sync import Transport
from palermo.store.directory import Agency
from palermo.store.store import Store

SYSTEM = Viewer.system()
AGENCIES = {"DE-BKA": ("DE", ("EU",)), "NL-KMAR": ("NL", ("EU",)), "TH-RTP": ("TH", ())}


@dataclass
class Node:
    node_id: str
    agency: str
    store: Store
    analyst: Viewer


def make_federation(tmp: Path) -> dict[str, Node]:
    nodes = {}
    for code in AGENCIES:
        store = Store.open(f"sqlite:///{tmp / code}.db")
        for other, (c, groups) in AGENCIES.items():  # every node knows the member directory
            store.add_agency(SYSTEM, Agency(other, other, c, "police", groups))
        analyst = store.add_user(SYSTEM, f"analyst-{code.lower()}", code, "analyst").viewer()
        node_id = code.lower() + "-node"
        with store.transaction() as conn:
            registry.init_node(conn, node_id, code, tmp / f"{code}.key")
        nodes[code] = Node(node_id, code, store, analyst)
    for node in nodes.values():
        for other in nodes.values():
            if other is node:
                continue
            with other.store.engine.connect() as conn:
                ident = registry.identity(conn)
            assert ident is not None
            with node.store.transaction() as conn:
                registry.add_peer(
                    conn, other.node_id, other.agency, f"http://{other.node_id}", ident.public_key
                )
    return nodes


def direct_transport(nodes: dict[str, Node]) -> Transport:
    """Deliver a batch by calling the receiving node's inbox, as its HTTP route does."""
    by_endpoint = {f"http://{n.node_id}": n for n in nodes.values()}

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        outcome = inbox.receive(by_endpoint[endpoint].store, body)
        return outcome.http_status, {
            "status": outcome.status,
            "cursor": outcome.cursor,
            "reason": outcome.reason,
        }

    return post


def triples(store: Store, viewer: Viewer) -> set[tuple[str, str, str, str]]:
    out = set()
    for entity in store.entities(viewer, limit=10_000):
        for prop, values in entity.properties.items():
            for v in values:
                out.add((entity.id, prop, v.value, v.agency))
    return out
