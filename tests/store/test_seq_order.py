"""Statement seqs become visible in order on PostgreSQL (ADR 0040).

A write that inserted statements and has not committed yet must not be overtaken: a
reader that follows ``seq > cursor`` (sync's ``outbox.pending``, the alert scan) would
otherwise move its cursor past the open write's seqs and never see them. Writes take the
statement-order lock before inserting (``audit.hold_statement_order``), so a second write
waits for the first to commit. SQLite serialises writers with its database lock, so only
PostgreSQL is tested here.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.exchange import alerts, outbox
from palermo.model.sharing import Sharing
from palermo.store import audit, bulk
from palermo.store.store import Store
from palermo.store.tables import alert, alert_cursor, statement
from tests.conftest import wipe
from tests.store.factories import person, setup_agencies

EU = Sharing.parse("group:EU")
term_counts = importlib.import_module("palermo.store.migrations.versions.0024_search_term_count")
WAIT = 30.0  # seconds; a bound on a hang, never slept through


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[Store]:
    store = Store.open(pg_database)
    wipe(store)
    yield store
    store.close()


@dataclass
class Seen:
    """What the readers returned while write A was open, and after both writes."""

    a_seqs: list[int] = field(default_factory=list)
    b_waited: bool = False
    sync_during: list[dict[str, object]] = field(default_factory=list)
    cursor_during: int = 0
    sync_after: list[dict[str, object]] = field(default_factory=list)
    event_waited: bool = False
    errors: list[BaseException] = field(default_factory=list)


def _b_waits_for_a(store: Store, b_done: threading.Event) -> bool:
    """Until write B is blocked on a lock (True) or has committed (False)."""
    deadline = time.monotonic() + WAIT
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        if b_done.is_set():
            return False
        with store.engine.connect() as conn:
            if conn.execute(query).scalar():
                return True
        time.sleep(0.01)
    raise AssertionError("write B neither committed nor waited on a lock")


def _event_commits(store: Store) -> bool:
    """Does a group-committed audit event (a screening's) commit within WAIT seconds?"""
    thread = threading.Thread(
        target=store.audit_event, args=(Viewer.system(), "screen.document", "x", {})
    )
    thread.start()
    thread.join(WAIT)
    return not thread.is_alive()


def _late_commit(store: Store, writer: Viewer) -> Seen:
    """Write A inserts and stays open; write B starts; readers read; then A commits."""
    seen = Seen()
    a_inserted, release, b_done = threading.Event(), threading.Event(), threading.Event()

    def write_a() -> None:
        """``Store._write``'s steps, held open between the insert and the audit row: the
        window in which a write that came later could commit first."""
        try:
            with store.transaction() as conn:
                stmts = person("DE-BKA", "a1", EU, name="Ivan Petrov")
                bulk.append_bulk(conn, stmts, store._known_policies)
                query = sa.select(statement.c.seq).where(statement.c.entity_id == "de-bka.a1")
                seen.a_seqs.extend(int(s) for s in conn.execute(query).scalars())
                a_inserted.set()
                assert release.wait(WAIT)
                audit.append(conn, "DE-BKA", writer.username, "write", "de-bka.a1")
        except BaseException as exc:
            seen.errors.append(exc)
            a_inserted.set()

    def write_b() -> None:
        try:
            store.write(writer, person("DE-BKA", "b1", EU, name="Ivan Petrov"))
        except BaseException as exc:
            seen.errors.append(exc)
        b_done.set()

    thread_a = threading.Thread(target=write_a)
    thread_b = threading.Thread(target=write_b)
    thread_a.start()
    assert a_inserted.wait(WAIT)
    thread_b.start()
    try:
        seen.b_waited = _b_waits_for_a(store, b_done)
        seen.event_waited = not _event_commits(store)
        with store.engine.connect() as conn:
            seen.sync_during = outbox.pending(conn, "DE-BKA", "NL-KMAR", 0)
        alerts.scan(store)
        with store.engine.connect() as conn:
            seen.cursor_during = int(conn.execute(sa.select(alert_cursor.c.seq)).scalar() or 0)
    finally:
        release.set()
        thread_a.join(WAIT)
        thread_b.join(WAIT)
    cursor = max((int(str(s["seq"])) for s in seen.sync_during), default=0)
    with store.engine.connect() as conn:
        seen.sync_after = outbox.pending(conn, "DE-BKA", "NL-KMAR", cursor)
    alerts.scan(store)
    return seen


def _setup(store: Store) -> Viewer:
    """Two agencies, an alert subscription, and one committed write whose sharing A and B
    reuse: a policy A inserted and has not committed would make B wait on it anyway."""
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",)})
    alerts.subscribe(store, viewers["NL-KMAR"], "name", "Ivan Petrov")
    store.write(viewers["DE-BKA"], person("DE-BKA", "p0", EU, name="Anna Berg"))
    return viewers["DE-BKA"]


def _all_ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(statement.c.id)).scalars())


def _alerted(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(alert.c.statement_id)).scalars())


def _ivan_ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        query = sa.select(statement.c.id).where(statement.c.value == "Ivan Petrov")
        return sorted(conn.execute(query).scalars())


def test_an_open_write_is_never_overtaken_by_a_later_commit(pg_store: Store) -> None:
    seen = _late_commit(pg_store, _setup(pg_store))
    assert seen.errors == []
    assert seen.b_waited, "write B should wait for the open write A"
    assert not seen.event_waited, "a screening's audit event need not wait for a write"
    first_a = min(seen.a_seqs)
    assert all(int(str(s["seq"])) < first_a for s in seen.sync_during)
    assert seen.cursor_during < first_a
    delivered = [str(s["id"]) for s in seen.sync_during + seen.sync_after]
    assert sorted(delivered) == _all_ids(pg_store)  # every statement, exactly once
    assert _alerted(pg_store) == _ivan_ids(pg_store)  # A's and B's name, once each
    assert len(_ivan_ids(pg_store)) == 2


def test_without_the_lock_a_cursor_skips_the_late_commit(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hazard itself, with the lock switched off: the scenario above is a real test."""
    monkeypatch.setattr(audit, "hold_statement_order", lambda conn: None)
    with _term_counts_off(pg_store):
        seen = _late_commit(pg_store, _setup(pg_store))
    assert seen.errors == []
    assert not seen.b_waited
    first_a = min(seen.a_seqs)
    assert any(int(str(s["seq"])) > first_a for s in seen.sync_during)
    delivered = {str(s["id"]) for s in seen.sync_during + seen.sync_after}
    lost = set(_all_ids(pg_store)) - delivered
    assert lost and all(sid in lost for sid in _ids_of_entity(pg_store, "de-bka.a1"))
    assert seen.cursor_during > first_a
    assert len(_alerted(pg_store)) == 1  # A's name never alerted


@contextmanager
def _term_counts_off(store: Store) -> Iterator[None]:
    """Without the lock, A and B would still queue on the row count of their shared name
    terms (``search_term_count``'s triggers, migration 0024), which hides the hazard; the
    triggers are dropped for the scenario and put back after it."""
    with store.engine.begin() as conn:
        term_counts.drop_triggers(conn)
    try:
        yield
    finally:
        with store.engine.begin() as conn:
            for sql in [*term_counts.PG_FUNCTIONS, *term_counts.PG_TRIGGERS]:
                conn.execute(sa.text(sql))
            term_counts.recount(conn)


def _ids_of_entity(store: Store, entity_id: str) -> list[str]:
    with store.engine.connect() as conn:
        query = sa.select(statement.c.id).where(statement.c.entity_id == entity_id)
        return list(conn.execute(query).scalars())


def test_audit_then_write_in_one_transaction_beside_plain_writes(pg_store: Store) -> None:
    """Locks are taken in one order (statement order, then the chain head) whether a
    transaction writes first or appends an audit row first: no deadlock, no lost row."""
    writer = _setup(pg_store)
    errors: list[BaseException] = []

    def audit_first(n: int) -> None:
        try:
            with pg_store.transaction() as conn:
                audit.append(conn, "DE-BKA", writer.username, "case.update", f"c{n}")
                pg_store.write(writer, person("DE-BKA", f"c{n}", EU, name=f"C {n}"), conn=conn)
        except BaseException as exc:
            errors.append(exc)

    def plain(n: int) -> None:
        try:
            pg_store.write(writer, person("DE-BKA", f"w{n}", EU, name=f"W {n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=f, args=(n,)) for n in range(6) for f in (audit_first, plain)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert errors == []
    assert pg_store.audit_verify().ok
    with pg_store.engine.connect() as conn:
        delivered = outbox.pending(conn, "DE-BKA", "NL-KMAR", 0)
    assert len(delivered) == len(_all_ids(pg_store)) == 2 + 12 * 2


def _read_while_a_write_is_open(
    store: Store, writer: Viewer, reader: Viewer, wait: float = WAIT
) -> bool:
    """Does an audited read (``Store.entities``) finish while a write that inserted
    statements is still open? Write A is held between its insert and its commit."""
    inserted, release = threading.Event(), threading.Event()

    def write_a() -> None:
        with store.transaction() as conn:
            stmts = person("DE-BKA", "a1", EU, name="Ivan Petrov")
            bulk.append_bulk(conn, stmts, store._known_policies)
            inserted.set()
            release.wait(WAIT)
            audit.append(conn, "DE-BKA", writer.username, "write", "de-bka.a1")

    thread_a = threading.Thread(target=write_a)
    thread_a.start()
    try:
        assert inserted.wait(WAIT)
        read = threading.Thread(target=store.entities, args=(reader,))
        read.start()
        read.join(wait)
        finished = not read.is_alive()
    finally:
        release.set()
        thread_a.join(WAIT)
    read.join(WAIT)
    return finished


def test_an_audited_read_does_not_wait_behind_an_open_write(pg_store: Store) -> None:
    """Reads write no statement, so they append their audit row without the order lock:
    an analyst's page does not wait while a large import inserts (ADR 0040)."""
    writer = _setup(pg_store)
    reader = Viewer("NL-KMAR", "reader", writer.roles)
    assert _read_while_a_write_is_open(pg_store, writer, reader)


def test_with_the_order_lock_on_reads_they_would_wait(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: a read that took the order lock would wait for the write."""
    writer = _setup(pg_store)
    reader = Viewer("NL-KMAR", "reader", writer.roles)
    real = audit.append_events

    def locking(
        conn: sa.Connection, events: list[audit.Event], read_only: bool = False
    ) -> list[audit.AuditEntry]:
        return real(conn, events)  # read_only ignored: the order lock always taken

    monkeypatch.setattr(audit, "append_events", locking)
    assert not _read_while_a_write_is_open(pg_store, writer, reader, wait=3.0)
