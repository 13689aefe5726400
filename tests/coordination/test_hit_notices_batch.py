"""A request's hit notices are written in a few statements, not two per hit, and say the
same as writing them one hit at a time would.

The property drives random requests (hits on several owners' records, repeated records,
the searcher's own records, per-owner deadlines) through ``hit_notices.notify`` and
compares the rows and audit actions with a plain model of the rule: one notice per
(searcher agency, record, UTC day), later hits that day count up, own records notify no
one, the deadline is the owner's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.coordination.hit_notices import HitRef
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ("A1", "B2", "C3")
DAY = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@contextmanager
def hit_notice_statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements run against ``hit_notice`` while the block runs."""
    seen: list[str] = []

    def before(*args: Any) -> None:
        sql = str(args[2])
        if "hit_notice" in sql and "hit_notice_" not in sql.replace("hit_notice.", ""):
            seen.append(sql)

    sa.event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", before)


def _hits(owner: str, numbers: range) -> list[HitRef]:
    return [HitRef(f"{owner.lower()}.p{n}", owner) for n in numbers]


def _counts(store: Store, viewer: Viewer) -> dict[str, int]:
    return {n.record_id: n.hits for n in hit_notices.received(store, viewer)}


def test_many_hits_take_as_many_statements_as_few(store: Store) -> None:
    viewers = setup_agencies(store, {code: () for code in AGENCIES})
    b2 = viewers["B2"]
    with hit_notice_statements(store) as few:
        hit_notices.notify(store, b2, _hits("A1", range(2)) + _hits("C3", range(1)), "screening")
    with hit_notice_statements(store) as many:
        many_hits = _hits("A1", range(2, 60)) + _hits("C3", range(1, 40))
        ids = hit_notices.notify(store, b2, many_hits, "screening")
    assert len(ids) == len(set(ids)) == 97
    assert 0 < len(many) == len(few) <= 2  # the owners' deadlines and one multi-row insert
    # the same hits again, some new ones among them: one insert, one count-up per owner
    again = _hits("A1", range(50, 70)) + _hits("C3", range(30, 40)) + _hits("B2", range(3))
    with hit_notice_statements(store) as repeat:
        counted = hit_notices.notify(store, b2, again, "screening")
    assert len(repeat) <= 4
    assert counted[:10] == ids[48:58] and len(counted) == 30
    a1 = _counts(store, viewers["A1"])
    assert [a1[f"a1.p{n}"] for n in (0, 49, 50, 59, 60, 69)] == [1, 1, 2, 2, 1, 1]
    assert _counts(store, viewers["B2"]) == {}  # its own records notify no one
    actions = [e.action for e in store.audit_entries() if e.action.startswith("hit.")]
    assert actions.count("hit.notice") == 3 + 97 + 10 and actions.count("hit.repeat") == 20


requests = st.lists(
    st.tuples(
        st.sampled_from(AGENCIES),  # the searcher
        st.lists(st.tuples(st.sampled_from(AGENCIES), st.integers(0, 5)), max_size=12),
        st.integers(0, 1),  # the day (0: today, 1: tomorrow)
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(asked=requests, hours=st.dictionaries(st.sampled_from(AGENCIES), st.integers(1, 96)))
def test_batched_notices_follow_the_one_hit_rule(
    store: Store, asked: list[tuple[str, list[tuple[str, int]], int]], hours: dict[str, int]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, {code: () for code in AGENCIES})
    for code, deadline in hours.items():
        hit_notices.set_deadline(store, SYSTEM, code, deadline)
    expected: dict[tuple[str, str, str], list[Any]] = {}  # (searcher, record, day) -> row
    actions: list[tuple[str, str]] = []
    for searcher, picked, day in asked:
        when = DAY + timedelta(days=day)
        hits = [HitRef(f"{owner.lower()}.p{n}", owner) for owner, n in picked]
        ids = hit_notices.notify(store, viewers[searcher], hits, "search", "op X", now=when)
        done: set[str] = set()
        for hit in hits:
            if hit.owner == searcher or hit.record_id in done:
                continue
            done.add(hit.record_id)
            key = (searcher, hit.record_id, when.date().isoformat())
            if key in expected:
                expected[key][0] += 1
                actions.append(("hit.repeat", hit.record_id))
            else:
                due = when + timedelta(hours=hours.get(hit.owner, 48))
                expected[key] = [1, hit.owner, due]
                actions.append(("hit.notice", hit.record_id))
        assert len(ids) == len(done)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(hit_notice)).all()
    stored = {
        (r.searcher_agency, r.record_id, r.day): [r.hits, r.owner_agency, r.due_at] for r in rows
    }
    for row in stored.values():  # SQLite hands back naive UTC
        row[2] = row[2] if row[2].tzinfo else row[2].replace(tzinfo=UTC)
    assert stored == expected
    notices = ("hit.notice", "hit.repeat")
    audited = [(e.action, e.target) for e in store.audit_entries() if e.action in notices]
    assert audited == actions
