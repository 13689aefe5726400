"""Appending statements: policies first, then the statement rows, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.tables import policy, policy_agency, policy_group, statement

BATCH = 5000


def insert_ignoring_duplicates(
    conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: replays and re-imports change nothing."""
    if not rows:
        return
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table).on_conflict_do_nothing()
    conn.execute(stmt, list(rows))


def ensure_policies(conn: Connection, sharings: Iterable[Sharing], known: set[str]) -> None:
    """Store each distinct sharing policy once; ``known`` caches ids already present."""
    for sharing in sharings:
        pid = sharing.policy_id
        if pid in known:
            continue
        insert_ignoring_duplicates(
            conn,
            policy,
            [
                {
                    "id": pid,
                    "canonical": sharing.canonical,
                    "everyone": sharing.everyone,
                    "victim_sensitive": sharing.victim_sensitive,
                    "no_onward": sharing.no_onward,
                }
            ],
        )
        insert_ignoring_duplicates(
            conn, policy_agency, [{"policy_id": pid, "agency_code": a} for a in sharing.agencies]
        )
        insert_ignoring_duplicates(
            conn, policy_group, [{"policy_id": pid, "group_code": g} for g in sharing.groups]
        )
        known.add(pid)


def statement_row(
    stmt: Statement, recorded_at: datetime, received_from: str | None = None
) -> dict[str, Any]:
    return {
        "id": stmt.id,
        "key": stmt.key,
        "entity_id": stmt.entity_id,
        "schema": stmt.schema,
        "prop": stmt.prop,
        "value": stmt.value,
        "agency": stmt.agency,
        "source_record_id": stmt.source_record_id,
        "policy_id": stmt.sharing.policy_id,
        "first_seen": stmt.first_seen,
        "last_seen": stmt.last_seen,
        "retracted": stmt.retracted,
        "recorded_at": recorded_at,
        "received_from": received_from,
    }


def append_statements(
    conn: Connection,
    stmts: Iterable[Statement],
    known: set[str],
    received_from: str | None = None,
) -> int:
    """Append statements in batches; returns how many were offered (duplicates are no-ops)."""
    now = datetime.now(UTC)
    batch: list[Statement] = []
    count = 0
    for stmt in stmts:
        batch.append(stmt)
        if len(batch) >= BATCH:
            count += _flush(conn, batch, known, now, received_from)
            batch = []
    return count + _flush(conn, batch, known, now, received_from)


def _flush(
    conn: Connection,
    batch: list[Statement],
    known: set[str],
    now: datetime,
    received_from: str | None,
) -> int:
    ensure_policies(conn, {s.sharing for s in batch}, known)
    rows = [statement_row(s, now, received_from) for s in batch]
    insert_ignoring_duplicates(conn, statement, rows)
    return len(batch)
