"""Appending statements: policies first, then the statement rows, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store import audit
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
    stmt: Statement,
    recorded_at: datetime,
    received_from: str | None = None,
    write_id: str | None = None,
    statement_id: str | None = None,
) -> dict[str, Any]:
    """The row of a statement; ``statement_id`` if its content id is already computed
    (a hash over its content: worth not computing twice in a 100k-statement import)."""
    return {
        "id": statement_id or stmt.id,
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
        "write_id": write_id,
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
    to peers or re-alerted (their cursors follow new rows only).

    Every row inserted carries the id of the transaction's pending write, and its id is
    noted there, for the audit row that follows in the same transaction (``audit.append``
    records them; ``integrity`` checks the table against that record)."""
    now = datetime.now(UTC)
    write = audit.pending_write(conn)
    batch: list[Statement] = []
    count = 0
    for stmt in stmts:
        batch.append(stmt)
        if len(batch) >= BATCH:
            count += _flush(conn, batch, known, now, received_from, write)
            batch = []
    return count + _flush(conn, batch, known, now, received_from, write)


def _flush(
    conn: Connection,
    batch: list[Statement],
    known: set[str],
    now: datetime,
    received_from: str | None,
    write: audit.PendingWrite,
) -> int:
    fresh = _not_yet_current(conn, batch, local=received_from is None)
    ensure_policies(conn, {s.sharing for s, _ in fresh}, known)
    ensure_aliases(conn, {s.entity_id for s, _ in fresh if s.sharing.victim_sensitive})
    rows = [statement_row(s, now, received_from, write.id, sid) for s, sid in fresh]
    inserted = _insert_returning_ids(conn, rows)
    write.ids.extend(inserted)
    return len(inserted)


def _insert_returning_ids(conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
    """Insert statement rows; the ids actually inserted, which the write's audit row records.

    ``rows`` never holds an id already stored (``_not_yet_current`` left those out). On
    SQLite, one writer at a time, that makes every row new, and a plain executemany is
    cheapest (RETURNING there costs ~8% of an import). On PostgreSQL a concurrent
    transaction may store the same content first: ON CONFLICT skips it, and RETURNING
    (nearly free there: inserts are batched as multi-row VALUES anyway) says which rows
    were this write's."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        insert_ignoring_duplicates(conn, statement, rows)
        return [str(r["id"]) for r in rows]
    stmt = postgresql.insert(statement).on_conflict_do_nothing().returning(statement.c.id)
    return [str(i) for i in conn.execute(stmt, rows).scalars()]


def ensure_aliases(conn: Connection, entity_ids: Iterable[str]) -> None:
    """Give each entity with a victim-sensitive statement its random alias, once: the id
    it is shown under to viewers who may read nothing of it unmasked (see visibility)."""
    rows = [{"entity_id": e, "alias": new_alias()} for e in sorted(entity_ids)]
    insert_ignoring_duplicates(conn, entity_alias, rows)


Sameness = tuple[str, str, str, str]  # key, schema, source record, policy


def _sameness(stmt: Statement) -> Sameness:
    return (stmt.key, stmt.schema, stmt.source_record_id, stmt.sharing.policy_id)


def _not_yet_current(
    conn: Connection, batch: list[Statement], local: bool = True
) -> list[tuple[Statement, str]]:
    """The statements of the batch that change something, with their ids: retractions, and
    assertions not already current in the store or earlier in the batch; never a statement
    whose id (its whole content) is already stored, which the insert would skip.

    A local assertion of a value retracted since, made in the second of the original
    assertion (ids carry seconds), would have the stored assertion's id and be lost: it is
    re-timed to the microsecond instead, so "retract, then say it again" always stores the
    new assertion. A received statement is never re-timed: a peer replaying an old assertion
    must not undo a retraction that came after it."""
    current, stored_ids = _stored(conn, {s.key for s in batch})
    out: list[tuple[Statement, str]] = []
    for stmt in batch:
        sid = stmt.id
        same = _sameness(stmt)
        if sid in stored_ids and local and not stmt.retracted and same not in current:
            stmt = replace(stmt, first_seen=_later_than(stmt.first_seen))
            sid = stmt.id
        if sid in stored_ids:
            continue
        if stmt.retracted:
            current.discard(same)
        elif same in current:
            continue
        else:
            current.add(same)
        out.append((stmt, sid))
        stored_ids.add(sid)
    return out


def _later_than(seen: datetime) -> datetime:
    """Now to the microsecond, and after ``seen`` (a clock never goes back in the store)."""
    now = datetime.now(UTC)
    return now if now > seen else seen + timedelta(microseconds=1)


def _stored(conn: Connection, keys: set[str]) -> tuple[set[Sameness], set[str]]:
    """For these keys: what is asserted now (no retraction after the assertion), and the
    ids of every stored statement."""
    if not keys:
        return set(), set()
    rows = conn.execute(
        sa.select(
            statement.c.id,
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
    current = {
        (row.key, row.schema, row.source_record_id, row.policy_id)
        for row in rows
        if not row.retracted and int(row.seq) > retracted_at.get(row.key, 0)
    }
    return current, {str(row.id) for row in rows}
