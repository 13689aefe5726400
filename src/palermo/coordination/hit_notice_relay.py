"""Signed messages between nodes about hits and erasures: hit notices to a remote owner,
the owner's reply back to the searcher's node, and erasure notices to the peers that hold a
copy of a purged record (issue 19; ADR 0029, ADR 0035).

A record received from another node belongs to an agency on that node; when a search,
screening or cross-reference here hits it, ``hit_notices.notify_in`` writes the searcher's
own notice row as for any hit and also queues the notice for the owner's node
(``hit_notice_outbox``; the searcher's transaction). The owner's reply to such a notice is
queued for the searcher's node the same way (``hit_notices.reply``), and so is an erasure
notice for each peer that received a purged record (``retention_purge``). :func:`deliver`
sends each node its queued messages, one signed message per kind, like every exchange
message (`exchange.psi_exchange`: sender, key, signature, receiver, freshness); a message
is marked sent only when the receiving node accepted it, so a failure is retried.

:func:`start` runs :func:`deliver` on a thread of its own, woken by the commit that queued
something (through the change feed on PostgreSQL), so a notice never waits behind the
node's other background work (a sync round with an unreachable peer can take the HTTP
timeout). A peer that cannot be reached waits its own back-off (`peer_backoff`) so it does
not hold the thread on every wake, and healthy peers are served before it. One HTTP client
per process: building its TLS context loads the CA bundle, which cost 138 ms per message
before (unloaded; docs/trust.md).

The owner's node (:func:`accept`) records only notices on records of its own agency that it
wrote itself (never on records it received: a node cannot plant notices for a third
agency), from a searcher that is the sending node's own agency (a node speaks for its
agency only); the notice carries its hit count so far, so a repeated delivery counts
nothing twice. The searcher's node (:func:`accept_replies`) records a reply only on a notice
its own agency's search opened on a record of the sending node's agency.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from palermo.coordination import hit_notices, node_messages, retention_purge
from palermo.coordination.peer_backoff import PeerBackoff
from palermo.exchange import registry
from palermo.exchange.peer_tls import peer_client
from palermo.exchange.psi_exchange import Refused, _fresh, _signed, _verified
from palermo.exchange.worker import Worker
from palermo.store.store import Store
from palermo.store.tables import hit_notice_outbox, statement

KIND, REPLY_KIND, ERASURE_KIND = node_messages.NOTICE, node_messages.REPLY, node_messages.ERASURE
KINDS = node_messages.KINDS
RELAY_PATH, REPLY_PATH, ERASURE_PATH = (KINDS[k][0] for k in (KIND, REPLY_KIND, ERASURE_KIND))
MESSAGE_KEY = node_messages.MESSAGE_KEY
BATCH = 500  # items per message
RETRY_EVERY = 30.0  # seconds: the relay thread's retry interval (commits wake it at once)
log = logging.getLogger(__name__)

# (endpoint, signed message) -> (HTTP status, response JSON). Tests swap in other transports;
# the path is the message kind's (``KINDS``).
Transport = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def deliver(
    store: Store, transport: Transport | None = None, backoff: PeerBackoff | None = None
) -> int:
    """Send every peer node its queued messages; returns how many items were accepted.
    A peer that cannot be reached is left for the rest of the pass and, with ``backoff``
    (the relay thread's), until its back-off is over; healthy peers are served first."""
    t = hit_notice_outbox
    backoff = backoff or PeerBackoff()
    with store.engine.connect() as conn:
        me = registry.identity(conn)
        if me is None:
            return 0
        peers = {p.node_id: p for p in registry.peers(conn)}
        # each due peer's own window of its oldest messages, so a peer's backlog never
        # crowds another's out of a pass; healthy peers first
        rows = [
            row
            for node_id in backoff.order(peers)
            for row in conn.execute(
                sa.select(t.c.id, t.c.node_id, t.c.notice)
                .where(t.c.node_id == node_id, t.c.sent_at.is_(None))
                .order_by(t.c.id)
                .limit(BATCH * 4)
            )
        ]
    groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for r in rows:  # dicts keep the peers' order
        item = json.loads(r.notice)
        groups[(str(r.node_id), str(item.pop(MESSAGE_KEY, KIND)))].append((int(r.id), item))
    send = transport or http_transport()
    key = me.key()
    done = 0
    chunks = [
        (node_id, kind, items[i : i + BATCH])
        for (node_id, kind), items in groups.items()
        for i in range(0, len(items), BATCH)
    ]
    unreachable: set[str] = set()
    for node_id, kind, items in chunks:
        peer = peers.get(node_id)
        if peer is None or kind not in KINDS or node_id in unreachable:
            continue
        body = {
            "kind": kind,
            "sender": me.node_id,
            "receiver": peer.node_id,
            "nonce": secrets.token_hex(16),
            "sent_at": datetime.now(UTC).isoformat(),
            KINDS[kind][1]: [item for _, item in items],
        }
        try:
            status, answer = send(peer.endpoint, _signed(body, key))
        except (httpx.HTTPError, OSError, ValueError) as exc:
            log.warning("%s to %s failed: %r", kind, peer.node_id, str(exc)[:300])
            if isinstance(exc, httpx.TransportError | OSError):  # not reached: wait
                unreachable.add(node_id)
                backoff.failed(node_id)
            continue
        backoff.succeeded(node_id)
        if status != 200:
            log.warning("%s to %s refused (%s): %r", kind, peer.node_id, status, answer)
            continue
        if answer.get("refused"):  # items the peer will never take: logged, not retried
            log.warning("%s to %s: items refused: %r", kind, peer.node_id, answer["refused"][:5])
        with store.transaction() as conn:
            sent = [i for i, _ in items]
            conn.execute(t.update().where(t.c.id.in_(sent)).values(sent_at=datetime.now(UTC)))
        done += len(items)
    return done


def start(
    store: Store,
    transport: Transport | None = None,
    every: float = RETRY_EVERY,
    rounds: Transport | None = None,
) -> Worker:
    """The relay's own thread: :func:`deliver` whenever a commit wakes it (and every
    ``every`` seconds, to retry a node that was unreachable), and the prompt deconfliction
    rounds of newly published selectors (``deconfliction_relay``, over ``rounds``; ADR 0042)."""
    from palermo.coordination.deconfliction_relay import PromptRounds

    backoff = PeerBackoff()  # one per thread: a dead peer waits in both of its tasks
    prompt = PromptRounds(store, rounds, backoff)
    return Worker(store, [lambda: deliver(store, transport, backoff), prompt], every).start()


def accept(store: Store, data: object) -> dict[str, Any]:
    """The owner's node: verify the message and record the notices it may; raises
    ``Refused`` (with the HTTP status) when the message does not check out."""
    peer, notices, own = _checked(store, data, KIND)
    recorded = skipped = 0
    with store.transaction() as conn:
        for notice in notices:
            if not _acceptable(conn, notice, own, peer.agency):
                skipped += 1
                continue
            if hit_notices.receive_remote(conn, own, notice) is None:
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


def accept_replies(store: Store, data: object) -> dict[str, Any]:
    """The searcher's node: verify the message and record the owner's replies it may (only
    on a notice this node's agency opened on a record of the sending node's agency)."""
    peer, replies, me = _checked(store, data, REPLY_KIND)
    recorded = skipped = 0
    with store.transaction() as conn:
        for item in replies:
            if not isinstance(item, dict) or item.get("owner") != peer.agency:
                skipped += 1
                continue
            if hit_notices.receive_reply(conn, me, peer.agency, peer.node_id, item) is None:
                skipped += 1
                continue
            recorded += 1
    return {"recorded": recorded, "skipped": skipped}


def accept_erasures(store: Store, data: object) -> dict[str, Any]:
    """A peer's node: verify the owner's erasure notice and purge the copies it received
    from that node of records of that node's agency (``retention_purge.purge_received``:
    hidden rows only, each purge in the audit chain). Anything else is skipped."""
    peer, erasures, _ = _checked(store, data, ERASURE_KIND)
    purged = skipped = 0
    for item in erasures:
        entity_id = item.get("entity_id") if isinstance(item, dict) else None
        if not isinstance(item, dict) or item.get("agency") != peer.agency:
            skipped += 1  # a node erases only its own agency's records
            continue
        if not isinstance(entity_id, str) or not entity_id or len(entity_id) > 255:
            skipped += 1
            continue
        with store.transaction() as conn:
            count = retention_purge.purge_received(conn, peer.agency, peer.node_id, entity_id)
            if count:  # readers' caches and indexes drop the record on commit
                conn.info.setdefault("palermo_after_commit", []).extend(store.write_listeners)
        if count:
            purged += 1
        else:
            skipped += 1  # nothing hidden of it here: never received, or already purged
    return {"purged": purged, "skipped": skipped}


def _checked(store: Store, data: object, kind: str) -> tuple[registry.Peer, list[Any], str]:
    """The verified sender, the message's items and this node's agency; ``Refused`` else."""
    peer, message = _verified(store, data, kind)
    _fresh(message.get("sent_at"))
    field = KINDS[kind][1]
    items = message.get(field)
    if not isinstance(items, list) or len(items) > BATCH:
        raise Refused(f"{field}: a list of at most {BATCH} items is expected", 400)
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:
        raise Refused("receiver: this node has no identity")
    return peer, items, me.agency


def http_transport(timeout: float = 30.0) -> Transport:
    """POST each message to its kind's path over the process's one peer client (mutual TLS
    when configured)."""
    client = _client(timeout)

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = client.post(endpoint + KINDS[str(body["kind"])][0], json=body)
        return response.status_code, response.json()

    return post


@functools.cache
def _client(timeout: float) -> httpx.Client:
    """Built once per process: its TLS context loads the CA bundle (138 ms unloaded)."""
    return peer_client(timeout)
