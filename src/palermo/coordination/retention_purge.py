"""Physical purge of records erased by retention, once every peer has their tombstones.

:func:`retention.erase` and the sweep first *tombstone* a record: every current value of
the owner is retracted, which hides it on every read path and sends the retractions to
every peer the values reached (the outbox sends statements by seq). Deleting the rows at
that moment would also delete the retractions before a peer received them, and the peer
would keep showing the values. So the erasure lists the record in ``retention_purge`` with
the highest seq it covers, and :func:`purge_due` (run by every sweep) deletes the owner's
rows of the record up to that seq -- values, earlier corrections and the retractions --
once each registered peer has acknowledged every retraction it may see (a peer the record
never reached is not waited for). Rows written later on the same entity id (a new record)
are untouched.

The deletion goes through :func:`store.purge.purge_statements`, so it is one audit event
(``retention.purge``) that records what is left of each write it took rows from, and
``palermo audit verify`` holds afterwards while a row deleted by hand is still named. The
derived data goes in the same transaction: index terms and alerts of the rows, and, when no
agency has any statement left on the entity, its opaque alias and its identity-ledger
assignments; the owner's deconfliction selectors of an erased case go too. Each peer that
was sent the record is queued a signed erasure notice in the same transaction
(``hit_notice_relay``); the peer purges its received copy with :func:`purge_received`,
which deletes only rows no read path shows any more, under its own audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Role, Viewer
from palermo.coordination import node_messages
from palermo.store.purge import purge_statements
from palermo.store.store import Store
from palermo.store.tables import (
    deconfliction_selector,
    entity_alias,
    peer,
    retention_purge,
    statement,
    sync_outbound,
    xref_identity,
)
from palermo.store.visibility import is_current, may_see

SERVICE_USER = "retention"
ACTION = "retention.purge"
RECEIVED_ACTION = "retention.purge.received"  # a peer purges its copy on the owner's notice


@dataclass
class PurgeReport:
    purged: list[tuple[str, str, int]] = field(default_factory=list)  # agency, entity, rows
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # (+ peer node waited on)

    def to_json(self) -> dict[str, Any]:
        return {
            "purged": [list(x) for x in self.purged],
            "waiting": [list(x) for x in self.waiting],
        }


def _own_rows(agency: str, entity_id: str, through_seq: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        statement.c.agency == agency,
        statement.c.entity_id == entity_id,
        statement.c.received_from.is_(None),
        statement.c.seq <= through_seq,
    )


def mark(conn: Connection, agency: str, entity_id: str) -> int:
    """List an erased record for purging, inside the erasure's transaction; returns the
    highest seq it covers (0 when the owner has no row on the entity)."""
    through = conn.execute(
        sa.select(sa.func.max(statement.c.seq)).where(
            statement.c.agency == agency,
            statement.c.entity_id == entity_id,
            statement.c.received_from.is_(None),
        )
    ).scalar()
    if through is None:
        return 0
    conn.execute(
        retention_purge.insert().values(
            agency=agency,
            entity_id=entity_id,
            through_seq=int(through),
            erased_at=datetime.now(UTC),
            purged_at=None,
            statements=None,
        )
    )
    return int(through)


def undelivered_peer(conn: Connection, agency: str, entity_id: str, through: int) -> str | None:
    """A peer that may see a retraction of the record it has not acknowledged, or None."""
    for node_id, peer_agency in conn.execute(sa.select(peer.c.node_id, peer.c.agency_code)):
        acked = conn.execute(
            sa.select(sync_outbound.c.acked_seq).where(sync_outbound.c.node_id == node_id)
        ).scalar()
        view = Viewer(peer_agency, "exchange", frozenset({Role.ANALYST}))
        owed = conn.execute(
            sa.select(statement.c.seq)
            .where(_own_rows(agency, entity_id, through))
            .where(statement.c.retracted.is_(True))
            .where(statement.c.seq > int(acked or 0))
            .where(may_see(view))
            .limit(1)
        ).first()
        if owed is not None:
            return str(node_id)
    return None


def purge_due(store: Store) -> PurgeReport:
    """Purge every erased record whose retractions reached every peer that may see them;
    one transaction per record."""
    report = PurgeReport()
    t = retention_purge
    with store.engine.connect() as conn:
        pending = conn.execute(
            sa.select(t.c.agency, t.c.entity_id, t.c.through_seq)
            .where(t.c.purged_at.is_(None))
            .order_by(t.c.through_seq)
        ).all()
    for agency, entity_id, through in pending:
        with store.transaction() as conn:
            waiting = undelivered_peer(conn, agency, entity_id, int(through))
            if waiting is not None:
                report.waiting.append((agency, entity_id, waiting))
                continue
            count = _purge_one(conn, agency, entity_id, int(through))
            # readers' caches and the other workers drop what they derived, and the relay
            # sends the erasure notices queued for peers, on commit
            conn.info.pop(node_messages.WAKE_KEY, None)
            conn.info.setdefault("palermo_after_commit", []).extend(store.write_listeners)
        report.purged.append((agency, entity_id, count))
    return report


def peers_holding(conn: Connection, agency: str, entity_id: str, through: int) -> list[str]:
    """The peers that were sent any row of the record: those that may see one (the outbox
    sends by the same rule; the purge waited until each acknowledged the retractions)."""
    found = []
    for node_id, peer_agency in conn.execute(sa.select(peer.c.node_id, peer.c.agency_code)):
        view = Viewer(peer_agency, "exchange", frozenset({Role.ANALYST}))
        sent = conn.execute(
            sa.select(statement.c.seq)
            .where(_own_rows(agency, entity_id, through), may_see(view))
            .limit(1)
        ).first()
        if sent is not None:
            found.append(str(node_id))
    return found


def purge_received(conn: Connection, owner: str, node_id: str, entity_id: str) -> int:
    """A peer's side of an erasure: delete the copy of ``owner``'s record received from
    ``node_id`` -- only rows no read path shows any more (retractions and the values they
    withdrew), so an erasure notice can never delete a current value, whoever sent it. One
    audit event (``retention.purge.received``, under the owner) accounts for the rows."""
    rows = sa.and_(
        statement.c.agency == owner,
        statement.c.entity_id == entity_id,
        statement.c.received_from == node_id,
        sa.not_(is_current(statement)),
    )
    seqs = list(conn.execute(sa.select(statement.c.seq).where(rows)).scalars())
    if not seqs:
        return 0
    actor = (owner, f"exchange:{node_id}"[:128])
    detail = {"entity": entity_id, "node": node_id}
    count = purge_statements(conn, seqs, actor, RECEIVED_ACTION, entity_id, detail)
    _drop_derived_ids(conn, entity_id)
    return count


def _drop_derived_ids(conn: Connection, entity_id: str) -> None:
    """When no agency holds anything on the entity any more, its derived ids go too."""
    left = conn.execute(
        sa.select(statement.c.seq).where(statement.c.entity_id == entity_id).limit(1)
    ).first()
    if left is None:
        conn.execute(entity_alias.delete().where(entity_alias.c.entity_id == entity_id))
        conn.execute(xref_identity.delete().where(xref_identity.c.record_id == entity_id))


def _purge_one(conn: Connection, agency: str, entity_id: str, through: int) -> int:
    seqs = list(
        conn.execute(sa.select(statement.c.seq).where(_own_rows(agency, entity_id, through)))
        .scalars()
        .all()
    )
    holders = peers_holding(conn, agency, entity_id, through)
    detail = {"entity": entity_id, "through_seq": through}
    count = purge_statements(conn, seqs, (agency, SERVICE_USER), ACTION, entity_id, detail)
    for node_id in holders:  # their copies go too (signed erasure notices, ADR 0035)
        node_messages.queue(
            conn, node_id, node_messages.ERASURE, {"agency": agency, "entity_id": entity_id}
        )
    _drop_derived_ids(conn, entity_id)
    sel = deconfliction_selector
    conn.execute(sel.delete().where(sel.c.agency == agency, sel.c.case_id == entity_id))
    conn.execute(
        retention_purge.update()
        .where(
            retention_purge.c.agency == agency,
            retention_purge.c.entity_id == entity_id,
            retention_purge.c.through_seq == through,
        )
        .values(purged_at=datetime.now(UTC), statements=count)
    )
    return count
