"""Receiving a batch: verify everything, then apply in order, exactly once.

Checks, in order: addressed to this node; the sender is a registered peer; the signing key
is registered for it, active and unexpired; the signature holds; every statement is owned
by the sender's agency, matches its content hash and is shared with this node's agency;
the batch continues where the last one from this sender ended. A batch failing any check
changes nothing. A batch that fails before the sender is authenticated (malformed, wrong
receiver, unknown peer, bad key or signature) is anonymous: it goes to the server log only,
so nobody can write audit rows under an agency name of their choosing. A batch from a
verified peer that fails a later check is audited as rejected, under that peer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.exchange import registry
from palermo.exchange.wire import Batch, WireError, statement_from_wire
from palermo.match.arrivals import announce_received
from palermo.model.statement import Statement
from palermo.store import directory
from palermo.store.store import Store
from palermo.store.tables import sync_inbound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: str  # applied, duplicate, gap, rejected
    cursor: int
    reason: str = ""
    stored: int = 0

    @property
    def http_status(self) -> int:
        return {"applied": 200, "duplicate": 200, "gap": 409}.get(self.status, 403)


class Rejected(Exception):
    """A refused batch; ``peer`` is set once the sender's signature has been verified."""

    def __init__(self, reason: str, peer: registry.Peer | None = None) -> None:
        super().__init__(reason)
        self.peer = peer


def receive(store: Store, data: object) -> Outcome:
    try:
        batch = Batch.from_json(data)
    except WireError as exc:
        return _refuse_anonymous("?", str(exc))
    try:
        with store.transaction() as conn:
            outcome = _apply(store, conn, batch)
        if outcome.status == "applied":  # resolved on arrival, after the commit
            announce_received(store, batch.statements)
        return outcome
    except Rejected as exc:
        if exc.peer is None:
            return _refuse_anonymous(batch.sender, str(exc))
        with store.engine.connect() as conn:
            cursor = _cursor(conn, exc.peer.node_id)
        return _reject(store, exc.peer, cursor, str(exc))


def _apply(store: Store, conn: Connection, batch: Batch) -> Outcome:
    me = registry.identity(conn)
    if me is None or batch.receiver != me.node_id:
        raise Rejected(f"receiver: this node is not {batch.receiver!r}")
    sender = registry.get_peer(conn, batch.sender)
    if sender is None:
        raise Rejected(f"sender: {batch.sender!r} is not a registered peer")
    problem = registry.key_problem(conn, sender.node_id, batch.key)
    if problem:
        raise Rejected(problem)
    if not batch.signature_valid():
        raise Rejected("signature: does not verify with the sender's key")
    cursor = _cursor(conn, sender.node_id)
    if batch.after > cursor:
        return Outcome("gap", cursor, f"after: expected {cursor}, got {batch.after}")
    if batch.upto <= cursor:
        return Outcome("duplicate", cursor)
    try:
        fresh = _checked(conn, batch, sender.agency, me.agency, cursor)
    except Rejected as exc:
        raise Rejected(str(exc), sender) from None
    stored = store.receive(conn, fresh, sender.node_id) if fresh else 0
    _set_cursor(conn, sender.node_id, batch.upto)
    return Outcome("applied", batch.upto, stored=stored)


def _checked(
    conn: Connection, batch: Batch, sender_agency: str, my_agency: str, cursor: int
) -> list[Statement]:
    groups = directory.groups_of(conn, my_agency)
    out: list[tuple[int, Statement]] = []
    last = batch.after
    for item in batch.statements:
        try:
            stmt = statement_from_wire(item)
            seq = int(item["seq"])
        except (WireError, KeyError, TypeError, ValueError) as exc:
            raise Rejected(str(exc)) from None
        if not batch.after < seq <= batch.upto or seq <= last:
            raise Rejected(f"statements[].seq: {seq} out of order or outside the batch range")
        last = seq
        if stmt.agency != sender_agency:
            raise Rejected(f"statements[].agency: {stmt.agency} is not the sender's agency")
        if not stmt.sharing.reaches(stmt.agency, my_agency, groups):
            raise Rejected(f"statements[].sharing: {stmt.sharing.scope_text} excludes {my_agency}")
        if seq > cursor:
            out.append((seq, stmt))
    return [s for _, s in out]


def _cursor(conn: Connection, node_id: str) -> int:
    value = conn.execute(
        sa.select(sync_inbound.c.cursor).where(sync_inbound.c.node_id == node_id)
    ).scalar()
    return int(value or 0)


def _set_cursor(conn: Connection, node_id: str, cursor: int) -> None:
    updated = conn.execute(
        sa.update(sync_inbound).where(sync_inbound.c.node_id == node_id).values(cursor=cursor)
    )
    if updated.rowcount == 0:
        conn.execute(sa.insert(sync_inbound).values(node_id=node_id, cursor=cursor))


def _refuse_anonymous(claimed: str, reason: str) -> Outcome:
    """Refuse an unauthenticated batch: server log only (the claimed sender is untrusted,
    and printed with repr so it cannot forge log lines); no cursor is disclosed."""
    log.warning(
        "exchange batch refused (sender not verified, claims %r): %r", claimed[:200], reason[:500]
    )
    return Outcome("rejected", 0, reason)


def _reject(store: Store, peer: registry.Peer, cursor: int, reason: str) -> Outcome:
    """Audit a refused batch of a verified peer, under that peer's agency and node."""
    actor = Viewer(peer.agency, f"exchange:{peer.node_id}")
    store.audit_event(actor, "exchange.rejected", peer.node_id, {"reason": reason})
    return Outcome("rejected", cursor, reason)
