"""Concurrent requests' hit notices are group-committed, and say what serial writes say.

Each process writes the notices of the requests waiting at one moment in one transaction
(``hit_notices._submit``, ADR 0052 amendment). The notices, their hit counts and their
audit rows must be exactly those of the same requests written one after another; a failed
batch must fail every request in it; and the batch, which writes no statement, must not
wait for the statement-order lock a statement writer holds (PostgreSQL).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.coordination.hit_notices import HitRef
from palermo.model.sharing import Sharing
from palermo.store import audit
from palermo.store.store import Store
from palermo.store.tables import hit_notice, hit_notice_outbox, statement
from tests.conftest import wipe
from tests.store.factories import person, setup_agencies

AGENCIES = ("A1", "B2", "C3")
DAY = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
PURPOSE = {"A1": "border check", "B2": None, "C3": "op X"}  # one per searcher: see _state
Request = tuple[str, list[str]]  # searcher, records hit (by id; owners from the directory)


def _requests(seed: int, count: int) -> list[Request]:
    """Requests hitting few records often: many of them count up the same notices."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        searcher = rng.choice(AGENCIES)
        owners = rng.choices(AGENCIES, k=rng.randint(0, 6))
        out.append((searcher, [f"{o.lower()}.p{rng.randrange(6)}" for o in owners]))
    return out


def _notify(store: Store, viewers: dict[str, Viewer], request: Request) -> list[int]:
    searcher, records = request
    if len(records) % 2:  # both entry points: record ids (the API's) and hit references
        hits = [HitRef(r, r.split(".")[0].upper()) for r in records]
        return hit_notices.notify(store, viewers[searcher], hits, "screening", PURPOSE[searcher])
    return hit_notices.notify_ids(store, viewers[searcher], records, "screening", PURPOSE[searcher])


def _state(store: Store) -> tuple[dict[Any, Any], Counter[Any]]:
    """The notices by (searcher, record, day) and the hit audit rows, notice ids replaced by
    their notice's key (ids depend on which request came first; nothing else may). Each
    searcher screens with one purpose, so which of its requests opened a notice does not
    change the notice's purpose either."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(hit_notice)).all()
    keys = {r.id: (r.searcher_agency, r.record_id, r.day) for r in rows}
    notices = {
        keys[r.id]: (r.owner_agency, r.channel, r.purpose, r.hits, r.status, r.reminders)
        for r in rows
    }
    audited: Counter[Any] = Counter()
    for entry in store.audit_entries():
        if entry.action in ("hit.notice", "hit.repeat"):
            detail = dict(json.loads(entry.detail))
            key = keys[detail.pop("notice")]
            said = (entry.agency, entry.username, entry.action, entry.target, key, str(detail))
            audited[said] += 1
    return notices, audited


class Grouped:
    """Wraps the batch write: records each batch's size and can hold every batch for a
    moment, so that the other threads' requests queue behind it and are grouped."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold: float = 0.02) -> None:
        self.sizes: list[int] = []
        real = hit_notices._write_batch

        def write(store: Store, batch: list[hit_notices.Request]) -> list[list[int]]:
            self.sizes.append(len(batch))
            threading.Event().wait(hold)
            return real(store, batch)

        monkeypatch.setattr(hit_notices, "_write_batch", write)


def _in_threads(work: list[Callable[[], object]], threads: int = 8) -> list[object]:
    """Run the calls from ``threads`` threads started together; each call's result or error."""
    out: list[object] = [None] * len(work)
    start = threading.Barrier(threads)

    def worker(first: int) -> None:
        start.wait()
        for n in range(first, len(work), threads):
            try:
                out[n] = work[n]()
            except Exception as exc:
                out[n] = exc

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    return out


def test_concurrent_requests_leave_the_notices_and_audit_rows_of_serial_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _requests(seed=7, count=48)
    viewers = setup_agencies(store, {code: () for code in AGENCIES})
    serial = [_notify(store, viewers, request) for request in asked]
    expected = _state(store)
    assert sum(expected[1].values()) > len(expected[0]) > 0  # repeats among them

    wipe(store)
    viewers = setup_agencies(store, {code: () for code in AGENCIES})
    grouped = Grouped(monkeypatch)
    results = _in_threads([partial(_notify, store, viewers, r) for r in asked])
    assert not [r for r in results if isinstance(r, Exception)]
    assert [len(r) for r in results] == [len(ids) for ids in serial]  # type: ignore[arg-type]
    assert max(grouped.sizes) > 1 and len(grouped.sizes) < len(asked)  # really grouped
    assert _state(store) == expected
    assert store.audit_verify().ok


def test_a_failed_batch_fails_every_request_it_held(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewers = setup_agencies(store, {code: () for code in AGENCIES})
    grouped = Grouped(monkeypatch, hold=0.05)

    def broken(*args: Any) -> dict[Any, int]:
        raise sa.exc.OperationalError("INSERT", {}, Exception("the disk is full"))

    monkeypatch.setattr(hit_notices, "_insert_new", broken)
    asked = _requests(seed=3, count=24)
    asked = [(s, [*records, "b2.p0" if s != "B2" else "a1.p0"]) for s, records in asked]
    results = _in_threads([partial(_notify, store, viewers, r) for r in asked])
    assert all(isinstance(r, sa.exc.OperationalError) for r in results), results
    assert max(grouped.sizes) > 1  # a batch of several requests failed, each heard of it
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(hit_notice)).scalar() == 0
    assert not [e for e in store.audit_entries() if e.action.startswith("hit.")]
    monkeypatch.undo()
    assert len(hit_notices.notify_ids(store, viewers["A1"], ["b2.p1"], "screening")) == 1


def test_a_batch_relays_each_hit_with_the_count_it_made(store: Store) -> None:
    """Records received from another node: every hit is queued for that node with the
    notice's count after it, as serial writes queue them (the receiver keeps the largest)."""
    viewers = setup_agencies(store, {code: () for code in AGENCIES})
    shared = Sharing.parse("all")
    store.write(viewers["B2"], person("B2", "p1", shared) + person("B2", "p2", shared))
    with store.engine.begin() as conn:
        conn.execute(statement.update().values(received_from="node-b"))
    hits = [HitRef("b2.p1", "B2"), HitRef("b2.p2", "B2")]
    asks = [
        hit_notices._Ask("A1", "analyst-a1", "screening", None, tuple(hits[:n]), (), DAY)
        for n in (1, 2, 2)
    ]
    with store.transaction() as conn:
        audit.declare_statement_free(conn)
        ids, _ = hit_notices._write_asks(conn, asks)
    assert ids[0] == [ids[1][0]] == [ids[2][0]]
    with store.engine.connect() as conn:
        queued = conn.execute(sa.select(hit_notice_outbox).order_by(hit_notice_outbox.c.id)).all()
    told = [(q.node_id, *_said(q.notice)) for q in queued]
    assert told == [
        ("node-b", "b2.p1", 1),
        ("node-b", "b2.p1", 2),
        ("node-b", "b2.p2", 1),
        ("node-b", "b2.p1", 3),
        ("node-b", "b2.p2", 2),
    ]
    assert {n.record_id: n.hits for n in hit_notices.received(store, viewers["B2"])} == {
        "b2.p1": 3,
        "b2.p2": 2,
    }


def _said(notice: str) -> tuple[str, int]:
    item = json.loads(notice)
    return str(item["record_id"]), int(item["hits"])


def test_a_statement_write_in_a_notice_transaction_is_refused(store: Store) -> None:
    refused = pytest.raises(RuntimeError, match="declared free of statements")
    with refused, store.transaction() as conn:
        audit.declare_statement_free(conn)
        audit.pending_write(conn)
    with store.transaction() as conn:  # the next transaction on the connection may write
        assert not audit.statement_free(conn)
        assert audit.pending_write(conn).ids == []


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[Store]:
    store = Store.open(pg_database)
    wipe(store)
    yield store
    store.close()


def test_a_notice_batch_does_not_wait_for_a_statement_writer(pg_store: Store) -> None:
    """A statement write under way holds the statement-order lock until it commits. A batch
    of notices goes past it; notices written inside a transaction that may write statements
    (deconfliction, pre-check) still wait for it, as ADR 0040 requires."""
    viewers = setup_agencies(pg_store, {code: () for code in AGENCIES})
    a1 = viewers["A1"]
    writer = pg_store.engine.connect()
    writer.begin()
    audit.hold_statement_order(writer)  # as `pending_write` does before the first insert
    try:
        done: list[object] = []
        batch = threading.Thread(
            target=lambda: done.append(hit_notices.notify_ids(pg_store, a1, ["b2.p1"], "search"))
        )
        batch.start()
        batch.join(10)
        assert not batch.is_alive() and len(done[0]) == 1  # type: ignore[arg-type]

        def in_transaction() -> None:
            with pg_store.transaction() as conn:
                hit = HitRef("b2.p2", "B2")
                done.append(hit_notices.notify_in(conn, "A1", "x", [hit], "search"))

        waits = threading.Thread(target=in_transaction)
        waits.start()
        waits.join(1.0)
        assert waits.is_alive()  # held by the statement writer's lock
    finally:
        writer.rollback()
        writer.close()
    waits.join(10)
    assert not waits.is_alive() and len(done) == 2
