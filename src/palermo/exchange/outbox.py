"""What this node owes a peer: its own agency's statements whose sharing reaches the peer.

The selection reuses the store's visibility rule with the peer's agency as the viewer, so
exchange and local reads can never disagree about who may see what. Only statements
written here (not received) are sent: a node never relays another agency's data. That is
also how ``no-onward`` and Europol ``H2`` are enforced for sync: a received statement, whatever
its codes, never enters a batch (tests/security/test_handling_propagation.py checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Role, Viewer
from palermo.exchange.wire import statement_to_wire
from palermo.store.rows import statement_from_row
from palermo.store.tables import policy, statement, sync_outbound
from palermo.store.visibility import may_see

BATCH_SIZE = 2000


def pending(
    conn: Connection, own_agency: str, peer_agency: str, after: int, limit: int = BATCH_SIZE
) -> list[dict[str, object]]:
    """Wire statements after local seq ``after`` that the peer's agency may receive."""
    peer_view = Viewer(peer_agency, "exchange", frozenset({Role.ANALYST}))
    query = (
        sa.select(statement, policy.c.canonical)
        .join(policy, policy.c.id == statement.c.policy_id)
        .where(statement.c.seq > after)
        .where(statement.c.agency == own_agency)
        .where(statement.c.received_from.is_(None))
        .where(may_see(peer_view))
        .order_by(statement.c.seq)
        .limit(limit)
    )
    rows = conn.execute(query)
    return [statement_to_wire(statement_from_row(dict(r._mapping)), r.seq) for r in rows]


def acked(conn: Connection, node_id: str) -> int:
    value = conn.execute(
        sa.select(sync_outbound.c.acked_seq).where(sync_outbound.c.node_id == node_id)
    ).scalar()
    return int(value or 0)


def set_acked(conn: Connection, node_id: str, seq: int) -> None:
    updated = conn.execute(
        sa.update(sync_outbound).where(sync_outbound.c.node_id == node_id).values(acked_seq=seq)
    )
    if updated.rowcount == 0:
        conn.execute(sa.insert(sync_outbound).values(node_id=node_id, acked_seq=seq))
