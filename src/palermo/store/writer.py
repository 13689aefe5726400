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
from palermo.store.tables import entity_alias, policy, policy_agency, policy_group, statement
from palermo.store.visibility import new_alias

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
    """Append statements in batches; returns how many were new.

    A statement that says again what is already current (same value, source record and
    sharing, not retracted since) is dropped, whatever its dates: a re-import, an API
    write repeated or a batch a peer sends twice changes nothing, so nothing is re-sent
    to peers or re-alerted (their cursors follow new rows only)."""
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
    fresh = _not_yet_current(conn, batch)
    ensure_policies(conn, {s.sharing for s in fresh}, known)
    ensure_aliases(conn, {s.entity_id for s in fresh if s.sharing.victim_sensitive})
    rows = [statement_row(s, now, received_from) for s in fresh]
    insert_ignoring_duplicates(conn, statement, rows)
    return len(fresh)


def ensure_aliases(conn: Connection, entity_ids: Iterable[str]) -> None:
    """Give each entity with a victim-sensitive statement its random alias, once: the id
    it is shown under to viewers who may read nothing of it unmasked (see visibility)."""
    rows = [{"entity_id": e, "alias": new_alias()} for e in sorted(entity_ids)]
    insert_ignoring_duplicates(conn, entity_alias, rows)


Sameness = tuple[str, str, str, str]  # key, schema, source record, policy


def _sameness(stmt: Statement) -> Sameness:
    return (stmt.key, stmt.schema, stmt.source_record_id, stmt.sharing.policy_id)


def _not_yet_current(conn: Connection, batch: list[Statement]) -> list[Statement]:
    """The statements of the batch that change something: retractions, and assertions not
    already current in the store or earlier in the batch."""
    current = _current_assertions(conn, {s.key for s in batch if not s.retracted})
    out: list[Statement] = []
    for stmt in batch:
        if stmt.retracted:
            out.append(stmt)
            current.discard(_sameness(stmt))
            continue
        same = _sameness(stmt)
        if same not in current:
            out.append(stmt)
            current.add(same)
    return out


def _current_assertions(conn: Connection, keys: set[str]) -> set[Sameness]:
    """Which of these keys are asserted now (no retraction after the assertion)."""
    if not keys:
        return set()
    rows = conn.execute(
        sa.select(
            statement.c.key,
            statement.c.schema,
            statement.c.source_record_id,
            statement.c.policy_id,
            statement.c.seq,
            statement.c.retracted,
        ).where(statement.c.key.in_(sorted(keys)))
    ).all()
    retracted_at: dict[str, int] = {}
    for row in rows:
        if row.retracted:
            retracted_at[row.key] = max(retracted_at.get(row.key, 0), int(row.seq))
    return {
        (row.key, row.schema, row.source_record_id, row.policy_id)
        for row in rows
        if not row.retracted and int(row.seq) > retracted_at.get(row.key, 0)
    }
