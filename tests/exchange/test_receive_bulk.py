"""Received batches take the bulk write path (Store.receive -> store.bulk, ADR 0027) and
are stored exactly as the reference path (writer.append_statements + index_written) stored
them, on SQLite and PostgreSQL.

Random batches of one sender (assertions, retractions, repeats and replays of earlier
batches, several sharings that reach this node) are signed and received twice, once
through each path: the same statement rows in the same order (with ``received_from``), the
same search terms, the same entities for every viewer, the same outcomes and cursors, and
``audit verify`` accepts both. The checks of the inbox (ownership, sharing) still refuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from palermo.exchange import inbox, registry
from palermo.exchange.keys import NodeKey
from palermo.exchange.wire import Batch, statement_to_wire
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store import audit, bulk, search_index, writer
from palermo.store.store import Store
from palermo.store.visibility import ALIAS_PREFIX, MASK
from tests.conftest import wipe
from tests.store.factories import setup_agencies
from tests.store.test_bulk import T1, T2, seen_by, snapshot, stored

AGENCIES = {"A1": ("EU",), "B2": ("EU",), "C3": ()}
SENDER, ME = "a1-node", "b2-node"
SENDER_KEY = NodeKey.generate()
# Sharings of A1's values that reach B2 (the inbox refuses any other).
REACHING = [
    Sharing.parse("group:EU"),
    Sharing.to_all(),
    Sharing.parse("all", ["victim-sensitive"]),
    Sharing.parse("B2", ["no-onward"]),
]


@st.composite
def received(draw: st.DrawFn) -> Statement:
    n = draw(st.integers(0, 3))
    eid = f"a1.p{n}"
    prop, value = draw(
        st.sampled_from(
            [
                ("name", "Ivan Petrov"),
                ("name", "Анна Берг"),
                ("phone", "+49 151 1234 5678"),
                ("email", "B@Example.org"),
                ("passportNumber", "YF 973 2979"),
                ("nationality", "de"),
                ("notes", "seen at the border"),
            ]
        )
    )
    stmt = Statement(
        eid, "Person", prop, value, "A1", f"p{n}", draw(st.sampled_from(REACHING)),
        first_seen=draw(st.sampled_from([T1, T2])),
    )  # fmt: skip
    return stmt.retraction(draw(st.sampled_from([T1, T2]))) if draw(st.booleans()) else stmt


# Each batch, and whether the sender replays the one before it (a lost acknowledgement).
sends = st.lists(
    st.tuples(st.lists(received(), min_size=1, max_size=10), st.booleans()),
    min_size=1,
    max_size=4,
)


def reference_receive(store: Store, conn: Connection, stmts: list[Statement], sender: str) -> int:
    """``Store.receive`` as it was before: the reference writer, then the index re-read."""
    mark = search_index.high_water(conn)
    count = writer.append_statements(conn, stmts, store._known_policies, received_from=sender)
    search_index.index_written(conn, mark, audit.pending_write(conn).id)
    audit.append(conn, "A1", "exchange", "exchange.receive", "", {"statements": count})
    return count


def prepare(store: Store, key_dir: Path) -> None:
    wipe(store)
    setup_agencies(store, AGENCIES)
    with store.transaction() as conn:
        registry.init_node(conn, ME, "B2", key_dir / "b2.key")
        registry.add_peer(conn, SENDER, "A1", "http://a1.example", SENDER_KEY.public_key)


def deliver(store: Store, batches: list[tuple[list[Statement], bool]]) -> list[Any]:
    outcomes: list[Any] = []
    seq = 0
    previous: dict[str, Any] | None = None
    for stmts, replay_previous in batches:
        after = seq
        wired = []
        for stmt in stmts:
            seq += 1
            wired.append(statement_to_wire(stmt, seq))
        body = Batch(SENDER, ME, after, seq, wired).sign(SENDER_KEY).to_json()
        outcome = inbox.receive(store, body)
        outcomes.append((outcome.status, outcome.cursor, outcome.stored, outcome.reason))
        if replay_previous and previous is not None:
            again = inbox.receive(store, previous)
            outcomes.append((again.status, again.cursor, again.stored))
        previous = body
    return outcomes


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=sends)
def test_a_received_batch_is_stored_as_the_reference_path_stored_it(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batches: list[tuple[list[Statement], bool]],
) -> None:
    monkeypatch.setattr(bulk, "BATCH", 4)  # batch boundaries and COPY in small data
    monkeypatch.setattr(bulk, "COPY_FROM", 2)
    monkeypatch.setattr(search_index, "COPY_FROM", 2)
    monkeypatch.setattr(writer, "BATCH", 4)
    monkeypatch.setattr(bulk, "THREAD_FROM", 2)  # terms on the helper thread from 2 rows
    results = []
    for path in ("reference", "bulk"):
        prepare(store, tmp_path)
        with monkeypatch.context() as patch:
            if path == "reference":
                patch.setattr(Store, "receive", reference_receive)
            outcomes = deliver(store, batches)
        viewers = {code: store.viewer(f"analyst-{code}".lower()) for code in AGENCIES}
        results.append((outcomes, snapshot(store, viewers)))
        report = store.audit_verify()
        assert report.ok, report.reason
    assert results[0] == results[1]
    assert all(row[-1] == SENDER for row in stored(store))  # received_from on every row
    # Every value C3 (outside EU, not named) reads unmasked was shared with it.
    written = [s for b, _ in batches for s in b if not s.retracted]
    for eid, prop, value in seen_by(store, store.viewer("analyst-c3")):
        if value in (MASK, ALIAS_PREFIX):
            continue
        sources = [s for s in written if (s.entity_id, s.prop, s.value) == (eid, prop, value)]
        assert any(s.sharing.reaches("A1", "C3", ()) for s in sources)


def test_the_inbox_checks_still_refuse_on_the_bulk_path(store: Store, tmp_path: Path) -> None:
    prepare(store, tmp_path)
    owner_only = Statement("a1.p1", "Person", "name", "Ivan", "A1", "p1", Sharing.parse("owner"))
    wired = [statement_to_wire(owner_only, 1)]
    body = Batch(SENDER, ME, 0, 1, wired).sign(SENDER_KEY).to_json()
    outcome = inbox.receive(store, body)
    assert outcome.status == "rejected" and "sharing" in outcome.reason
    stolen = Statement("b2.p1", "Person", "name", "Olga", "B2", "p1", Sharing.to_all())
    body = Batch(SENDER, ME, 0, 1, [statement_to_wire(stolen, 1)]).sign(SENDER_KEY).to_json()
    outcome = inbox.receive(store, body)
    assert outcome.status == "rejected" and "agency" in outcome.reason
    assert store.count_statements() == 0
