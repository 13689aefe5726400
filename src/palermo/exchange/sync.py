"""Sending: push pending batches to each peer until it has everything it is owed.

The sender advances its cursor for a peer only on the peer's acknowledgement, so a sync
interrupted anywhere (process killed, network cut) resumes from the last acknowledged
position; the receiver's own cursor makes a resent batch a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from palermo.exchange import outbox, registry
from palermo.exchange.peer_tls import json_transport
from palermo.exchange.registry import Peer
from palermo.exchange.wire import Batch
from palermo.store.store import Store

BATCHES_PATH = "/exchange/v1/batches"
log = logging.getLogger(__name__)

# (peer endpoint, batch JSON) -> (HTTP status, response JSON). Tests swap in other transports.
Transport = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def http_transport(timeout: float = 30.0) -> Transport:
    return json_transport(BATCHES_PATH, timeout)  # mutual TLS when configured


@dataclass
class PeerResult:
    node_id: str
    batches: int = 0
    statements: int = 0
    cursor: int = 0
    error: str = ""


def sync_peer(
    store: Store,
    peer: Peer,
    transport: Transport,
    batch_size: int = outbox.BATCH_SIZE,
    max_batches: int | None = None,
) -> PeerResult:
    result = PeerResult(peer.node_id)
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:
        result.error = "node: run `palermo node init` first"
        return result
    key = me.key()
    while max_batches is None or result.batches < max_batches:
        with store.engine.connect() as conn:
            after = outbox.acked(conn, peer.node_id)
            items = outbox.pending(conn, me.agency, peer.agency, after, batch_size)
        result.cursor = after
        if not items:
            return result
        upto = int(str(items[-1]["seq"]))
        batch = Batch(me.node_id, peer.node_id, after, upto, items).sign(key)
        try:
            status, answer = transport(peer.endpoint, batch.to_json())
        except (httpx.HTTPError, OSError, ValueError) as exc:
            result.error = f"transport: {exc}"
            return _failed(result, peer)
        if status not in (200, 409) or "cursor" not in answer:
            result.error = f"rejected ({status}): {answer.get('reason') or answer.get('detail')}"
            return _failed(result, peer)
        with store.transaction() as conn:
            outbox.set_acked(conn, peer.node_id, int(answer["cursor"]))
        result.batches += 1
        result.statements += len(items) if status == 200 else 0
    return result


def _failed(result: PeerResult, peer: Peer) -> PeerResult:
    """Log a push that failed or was rejected: otherwise a peer refusing every batch (an
    unregistered key, a gap) goes unnoticed until someone runs ``palermo sync`` by hand."""
    log.warning(
        "push to peer %s (%s) at %s failed: %s",
        peer.node_id,
        peer.agency,
        peer.endpoint,
        result.error,
    )
    return result


def sync_all(store: Store, transport: Transport | None = None) -> list[PeerResult]:
    transport = transport or http_transport()
    with store.engine.connect() as conn:
        members = registry.peers(conn)
    return [sync_peer(store, p, transport) for p in members]
