"""What the node-message tests share: nodes that know each other, and signed messages
between them.

`test_node_messages` (hit notices, replies and erasures between nodes, on both backends)
and `test_remote_hit_notices` (a remote owner's hit notices) each built the same federation,
synced it, reached each other's apps through the relay's message routes and signed messages
by hand; this module is that setup once, so the two cannot drift apart (ADR 0035).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.coordination import hit_notice_relay
from palermo.exchange import registry
from palermo.exchange.keys import NodeKey
from palermo.exchange.psi_exchange import _signed
from palermo.exchange.sync import sync_all
from palermo.model.sharing import Sharing
from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.conftest import wipe
from tests.exchange.nodes import AGENCIES, SYSTEM, Node, direct_transport

EU = Sharing.parse("group:EU")


def federation(urls: Mapping[str, str], keys: Path) -> dict[str, Node]:
    """A node per agency of `nodes.AGENCIES` on the given database URLs (emptied first, so
    a database may be reused), each with the member directory, an analyst, its own key in
    ``keys`` and every other node as a peer."""
    nodes: dict[str, Node] = {}
    for code, url in urls.items():
        store = Store.open(url)
        wipe(store)
        for member, (country, groups) in AGENCIES.items():
            store.add_agency(SYSTEM, Agency(member, member, country, "police", groups))
        analyst = store.add_user(SYSTEM, f"analyst-{code.lower()}", code, "analyst").viewer()
        with store.transaction() as conn:
            registry.init_node(conn, code.lower() + "-node", code, keys / f"{code}.key")
        nodes[code] = Node(code.lower() + "-node", code, store, analyst)
    for node in nodes.values():
        for other in nodes.values():
            if other is not node:
                with other.store.engine.connect() as conn:
                    ident = registry.identity(conn)
                assert ident is not None
                with node.store.transaction() as conn:
                    registry.add_peer(
                        conn,
                        other.node_id,
                        other.agency,
                        f"http://{other.node_id}",
                        ident.public_key,
                    )
    return nodes


def converge(nodes: Mapping[str, Node]) -> None:
    """Sync every node with every peer twice: what one node shares reaches the others."""
    transport = direct_transport(dict(nodes))
    for _ in range(2):
        for node in nodes.values():
            sync_all(node.store, transport)


def clients(nodes: Mapping[str, Node], **app: Any) -> dict[str, TestClient]:
    """Each node's API by its peer endpoint (``app``: `create_app` options)."""
    return {f"http://{n.node_id}": TestClient(create_app(n.store, **app)) for n in nodes.values()}


def relay_transport(
    apps: Mapping[str, TestClient], sent: list[dict[str, Any]] | None = None
) -> hit_notice_relay.Transport:
    """The relay's transport over the nodes' apps: each message to its kind's route
    (notices, replies, erasures); ``sent`` collects the bodies."""

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if sent is not None:
            sent.append(body)
        path = hit_notice_relay.KINDS[body["kind"]][0]
        response = apps[endpoint].post(path, json=body)
        return response.status_code, response.json()

    return post


def node_key(node: Node) -> NodeKey:
    """The node's own signing key."""
    with node.store.engine.connect() as conn:
        me = registry.identity(conn)
    assert me is not None
    return me.key()


def signed_message(kind: str, sender: Node, receiver: Node, **items: Any) -> dict[str, Any]:
    """A relay message of ``kind`` from ``sender`` to ``receiver`` carrying ``items`` (e.g.
    ``notices=[...]``), signed with the sender's key as its relay signs it."""
    body = {
        "kind": kind,
        "sender": sender.node_id,
        "receiver": receiver.node_id,
        "nonce": "n",
        "sent_at": datetime.now(UTC).isoformat(),
        **items,
    }
    return _signed(body, node_key(sender))
