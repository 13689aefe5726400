"""Physical deletion of statement rows, recorded in the audit chain so verify still holds.

Every write's audit row records how many statements it stored and a digest of their ids
(``audit.PendingWrite``); ``integrity`` names a write with fewer rows than it recorded as
"deleted behind the audit log's back". Erasure for retention must really delete rows, so
a purge is its own audit event: for each write it took rows from, it records how many
statements of that write are left and the digest of the ids left (never the purged ids:
an id is a hash of the value, and a list of them would let anyone confirm a guessed value
after the erasure). ``integrity.recorded_writes`` applies these records in chain order, so
a purge explains exactly the rows it removed and a row deleted by hand is still named.

The index terms (``search_term``) and the alerts of the purged statements go with them, in
the same transaction as the audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.store import audit
from palermo.store.search_index import search_term
from palermo.store.tables import alert, statement

CHUNK = 500  # seqs per IN list


def write_key(write_id: str | None) -> str:
    return audit.BASELINE_WRITE if write_id is None else write_id


def purge_statements(
    conn: Connection,
    seqs: Sequence[int],
    actor: tuple[str, str],
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> int:
    """Delete the statement rows ``seqs`` (and their index terms and alerts) inside the
    caller's transaction and append the audit event ``action`` that accounts for them.
    ``actor`` is (agency, username). Returns the number of rows deleted."""
    wanted = sorted({int(s) for s in seqs})
    ids: list[str] = []
    writes: set[str | None] = set()
    for part in _chunks(wanted):
        rows = conn.execute(
            sa.select(statement.c.id, statement.c.write_id).where(statement.c.seq.in_(part))
        ).all()
        ids += [str(r.id) for r in rows]
        writes |= {None if r.write_id is None else str(r.write_id) for r in rows}
        conn.execute(search_term.delete().where(search_term.c.seq.in_(part)))
        conn.execute(statement.delete().where(statement.c.seq.in_(part)))
    for part_ids in _chunks(ids):
        conn.execute(alert.delete().where(alert.c.statement_id.in_(part_ids)))
    left = {write_key(w): _left(conn, w) for w in sorted(writes, key=lambda w: w or "")}
    record = {"statements": len(ids), "writes": left}
    agency, username = actor
    audit.append(
        conn, agency, username, action, target, {**(detail or {}), audit.PURGE_KEY: record}
    )
    return len(ids)


def _left(conn: Connection, write_id: str | None) -> dict[str, Any]:
    """What is left of one write: its count and the digest of its remaining ids."""
    which = statement.c.write_id.is_(None) if write_id is None else statement.c.write_id == write_id
    ids = [str(i) for i in conn.execute(sa.select(statement.c.id).where(which)).scalars()]
    return {"statements": len(ids), "digest": audit.ids_digest(ids)}


def _chunks(items: Sequence[Any]) -> list[list[Any]]:
    return [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
