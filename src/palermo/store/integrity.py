"""Tamper evidence for the statements themselves, beside the audit chain.

A statement's id is the hash of its content (``Statement.id``). The audit chain proves who
wrote when, but a value edited directly in the database would keep its old id and go
unnoticed there; recomputing every id from the stored columns catches it (and a changed
policy, agency, source or date the same way), naming the first row that no longer holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.model.sharing import Sharing, SharingError
from palermo.model.statement import Statement
from palermo.store.tables import policy, statement

BATCH = 10_000


@dataclass(frozen=True)
class StatementReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_statements(conn: Connection) -> StatementReport:
    """Recompute every statement's content id, in insertion order."""
    checked = 0
    for row in _rows(conn):
        problem = _problem(row)
        if problem:
            return StatementReport(False, checked, int(row.seq), problem)
        checked += 1
    return StatementReport(True, checked)


def _rows(conn: Connection) -> Iterator[sa.Row[tuple[object, ...]]]:
    after = 0
    while True:
        rows = conn.execute(
            sa.select(statement, policy.c.canonical)
            .join(policy, policy.c.id == statement.c.policy_id, isouter=True)
            .where(statement.c.seq > after)
            .order_by(statement.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        after = int(rows[-1].seq)


def _problem(row: sa.Row[tuple[object, ...]]) -> str:
    """Why the row does not hold, or "" when its content still hashes to its id."""
    if row.canonical is None:
        return f"statement {row.id} points at a policy that does not exist"
    try:
        sharing = Sharing.from_canonical(str(row.canonical))
    except SharingError as exc:
        return f"statement {row.id} has an unreadable policy: {exc}"
    if sharing.policy_id != row.policy_id:
        return f"statement {row.id}: its policy row was changed"
    recomputed = Statement(
        entity_id=str(row.entity_id),
        schema=str(row.schema),
        prop=str(row.prop),
        value=str(row.value),
        agency=str(row.agency),
        source_record_id=str(row.source_record_id),
        sharing=sharing,
        first_seen=_utc(row.first_seen),
        last_seen=_utc(row.last_seen) if row.last_seen is not None else None,
        retracted=bool(row.retracted),
    ).id
    if recomputed != row.id:
        return f"statement {row.id} of {row.entity_id}.{row.prop}: contents were changed"
    return ""


def _utc(value: object) -> datetime:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
