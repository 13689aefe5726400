"""Receiving a batch: verify everything, then apply in order, exactly once.

Checks, in order: addressed to this node; the sender is a registered peer; the signing key
is registered for it, active and unexpired; the signature holds; every statement is owned
by the sender's agency, matches its content hash and is shared with this node's agency;
the batch continues where the last one from this sender ended. A batch failing any check
changes nothing and is audited as rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.exchange import registry
from palermo.exchange.wire import Batch, WireError, statement_from_wire
from palermo.model.statement import Statement
from palermo.store import directory
from palermo.store.store import Store
from palermo.store.tables import sync_inbound


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
    pass


def receive(store: Store, data: object) -> Outcome:
    try:
        batch = Batch.from_json(data)
    except WireError as exc:
        return _reject(store, "?", 0, str(exc))
    try:
        with store.transaction() as conn:
            return _apply(store, conn, batch)
    except Rejected as exc:
        with store.engine.connect() as conn:
            cursor = _cursor(conn, batch.sender)
        return _reject(store, batch.sender, cursor, str(exc))


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
    fresh = _checked(conn, batch, sender.agency, me.agency, cursor)
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


def _reject(store: Store, sender: str, cursor: int, reason: str) -> Outcome:
    store.audit_event(Viewer(sender, "exchange"), "exchange.rejected", sender, {"reason": reason})
    return Outcome("rejected", cursor, reason)
