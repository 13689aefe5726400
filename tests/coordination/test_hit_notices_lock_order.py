"""Concurrent screenings counting up the same hit notices do not deadlock.

``bench/api.py`` (person screenings on PostgreSQL, 32 connections) answered some requests
500: PostgreSQL aborted one of two transactions that each held a ``hit_notice`` row the
other's ``UPDATE ... WHERE record_id IN (...)`` waited for, because an UPDATE locks rows in
the order its plan meets them (heap order on a sequential scan), not in record order.
``_count_up`` now locks them in record order first.

The PostgreSQL test builds that case on purpose: one row moved to the end of the heap, held
by another transaction, the planner kept off the indexes; the screening then has to wait
for that row before it locks any other, so the other transaction can still take them.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from palermo.coordination import hit_notices
from palermo.coordination.hit_notices import HitRef
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.conftest import wipe
from tests.store.factories import setup_agencies

RECORDS = [f"a1.p{n}" for n in range(10)]


def _hits(records: list[str]) -> list[HitRef]:
    return [HitRef(r, "A1") for r in records]


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[Store]:
    store = Store.open(pg_database)
    wipe(store)
    yield store
    store.close()


def _no_index_scans(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
    dbapi_connection.commit()


def _waiting_on_a_lock(conn: sa.Connection, pid: int) -> bool:
    return bool(
        conn.execute(
            sa.text("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> :p"),
            {"p": pid},
        ).first()
    )


def test_count_up_waits_for_a_held_row_before_locking_the_others(pg_store: Store) -> None:
    store = pg_store
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    b2 = viewers["B2"]
    hit_notices.notify(store, b2, _hits(RECORDS), "screening")  # rows in record order
    with store.engine.begin() as conn:  # a1.p0's live version now ends the heap
        conn.execute(hit_notice.update().where(hit_notice.c.record_id == "a1.p0").values(hits=1))
    store.engine.dispose()
    sa.event.listen(store.engine, "connect", _no_index_scans)  # heap order, whatever the size
    errors: list[BaseException] = []

    def screen_again() -> None:
        try:
            hit_notices.notify(store, b2, _hits(RECORDS), "screening")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    other = store.engine.connect()
    try:
        other.execute(sa.text("SET lock_timeout = '5s'"))
        pid = int(other.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        other.execute(sa.text("SELECT id FROM hit_notice WHERE record_id = 'a1.p0' FOR UPDATE"))
        worker = threading.Thread(target=screen_again)
        worker.start()
        deadline = time.monotonic() + 20
        while not _waiting_on_a_lock(other, pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.is_alive(), errors
        # Before the fix the screening held a1.p9 (met first on the heap) while it waited
        # for a1.p0: this then deadlocked, or ran into the lock timeout.
        other.execute(
            hit_notice.update().where(hit_notice.c.record_id == "a1.p9").values(reminders=0)
        )
        other.commit()
    finally:
        other.close()
    worker.join(30)
    sa.event.remove(store.engine, "connect", _no_index_scans)
    assert not worker.is_alive() and errors == []
    counts = {n.record_id: n.hits for n in hit_notices.received(store, viewers["A1"])}
    assert counts == {r: 2 for r in RECORDS}


def test_concurrent_screenings_on_overlapping_records_all_count(store: Store) -> None:
    """Both backends: screenings in threads, each counting up a shuffled overlapping set of
    records, all succeed, and every hit is counted exactly once."""
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    b2 = viewers["B2"]
    hit_notices.notify(store, b2, _hits(RECORDS), "screening")
    rng = random.Random(5)
    plans = [rng.sample(RECORDS, 6) for _ in range(24)]
    errors: list[BaseException] = []

    def screen(records: list[str]) -> None:
        try:
            hit_notices.notify(store, b2, _hits(records), "screening")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=screen, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    expected = {r: 1 + sum(r in p for p in plans) for r in RECORDS}
    assert {n.record_id: n.hits for n in hit_notices.received(store, viewers["A1"])} == expected
