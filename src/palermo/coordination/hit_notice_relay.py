"""Hit notices to a remote owner: the notice travels to the node that owns the record.

A record received from another node belongs to an agency on that node; when a search,
screening or cross-reference here hits it, ``hit_notices.notify_in`` writes the searcher's
own notice row as for any hit and also queues the notice for the owner's node
(``hit_notice_outbox``; the searcher's transaction, woken worker). :func:`deliver` (the
node's worker, every round) sends each node its queued notices in one message signed with
this node's key, like every exchange message (`exchange.psi_exchange`: sender, key,
signature, receiver, freshness), to ``POST /exchange/v1/hit-notices``; a notice is marked
sent only when the owner's node accepted the message, so a failure is retried.

The owner's node (:func:`accept`) records only notices on records of its own agency that it
wrote itself (never on records it received: a node cannot plant notices for a third
agency), from a searcher that is the sending node's own agency (a node speaks for its
agency only); the notice carries its hit count so far, so a repeated delivery counts
nothing twice. The owner then reads it among its notices (``hit_notices.received``, the
API and the page), with who searched (agency, channel, purpose) and what was hit.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from palermo.coordination import hit_notices
from palermo.exchange import registry
from palermo.exchange.peer_tls import json_transport
from palermo.exchange.psi_exchange import Refused, _fresh, _signed, _verified
from palermo.store.store import Store
from palermo.store.tables import hit_notice_outbox, statement

RELAY_PATH = "/exchange/v1/hit-notices"
KIND = "hit-notices"
BATCH = 500  # notices per message
log = logging.getLogger(__name__)

# (endpoint, signed message) -> (HTTP status, response JSON). Tests swap in other transports.
Transport = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def deliver(store: Store, transport: Transport | None = None) -> int:
    """Send every peer node its queued notices; returns how many were accepted."""
    t = hit_notice_outbox
    with store.engine.connect() as conn:
        due = list(conn.execute(sa.select(t.c.node_id).where(t.c.sent_at.is_(None)).distinct()))
        me = registry.identity(conn) if due else None
    if me is None:
        return 0
    send = transport or http_transport()
    done = 0
    for (node_id,) in due:
        with store.engine.connect() as conn:
            peer = registry.get_peer(conn, str(node_id))
            rows = conn.execute(
                sa.select(t.c.id, t.c.notice)
                .where(t.c.node_id == node_id, t.c.sent_at.is_(None))
                .order_by(t.c.id)
                .limit(BATCH)
            ).all()
        if peer is None or not rows:
            continue
        body = {
            "kind": KIND,
            "sender": me.node_id,
            "receiver": peer.node_id,
            "nonce": secrets.token_hex(16),
            "sent_at": datetime.now(UTC).isoformat(),
            "notices": [json.loads(r.notice) for r in rows],
        }
        try:
            status, answer = send(peer.endpoint, _signed(body, me.key()))
        except (httpx.HTTPError, OSError, ValueError) as exc:
            log.warning("hit notices to %s failed: %r", peer.node_id, str(exc)[:300])
            continue
        if status != 200:
            log.warning("hit notices to %s refused (%s): %r", peer.node_id, status, answer)
            continue
        with store.transaction() as conn:
            sent = [int(r.id) for r in rows]
            conn.execute(t.update().where(t.c.id.in_(sent)).values(sent_at=datetime.now(UTC)))
        done += len(rows)
    return done


def accept(store: Store, data: object) -> dict[str, Any]:
    """The owner's node: verify the message and record the notices it may; raises
    ``Refused`` (with the HTTP status) when the message does not check out."""
    peer, message = _verified(store, data, KIND)
    _fresh(message.get("sent_at"))
    notices = message.get("notices")
    if not isinstance(notices, list) or len(notices) > BATCH:
        raise Refused(f"notices: a list of at most {BATCH} notices is expected", 400)
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:
        raise Refused("receiver: this node has no identity")
    recorded = skipped = 0
    with store.transaction() as conn:
        for notice in notices:
            if not _acceptable(conn, notice, me.agency, peer.agency):
                skipped += 1
                continue
            if hit_notices.receive_remote(conn, me.agency, notice) is None:
                skipped += 1
                continue
            recorded += 1
    return {"recorded": recorded, "skipped": skipped}


def _acceptable(conn: sa.Connection, notice: object, own: str, sender_agency: str) -> bool:
    """A notice from the sender's own agency, on a record of ours that we wrote."""
    if not isinstance(notice, dict):
        return False
    if notice.get("owner") != own or notice.get("searcher_agency") != sender_agency:
        return False
    record = notice.get("record_id")
    if not isinstance(record, str):
        return False
    ours = conn.execute(
        sa.select(statement.c.seq)
        .where(statement.c.entity_id == record, statement.c.agency == own)
        .where(statement.c.received_from.is_(None))
        .limit(1)
    ).first()
    return ours is not None


def http_transport(timeout: float = 30.0) -> Transport:
    return json_transport(RELAY_PATH, timeout)  # mutual TLS when configured
