"""The judgements naming given records (`judgement_lookup.judgements_touching`, which the
single-record identity lookup reads instead of all of the viewer's judgements): for every
pair touching the records, the newest visible judgement, as `resolution.judgements` gives
it; a judgement the viewer may not read is not found; the SQL finds them through the
partial index of migration 0020 (SQLite's plan checked). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from palermo.analysis import review
from palermo.match.judgement_lookup import judgements_touching
from palermo.match.resolution import judgements
from palermo.match.xref import CONFIRM, REJECT
from palermo.store.store import Store
from tests.analysis.test_review_ledger import chain


def test_the_judgements_touching_records_are_the_viewers_newest(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    review.decide(store, a1, "a1.a", "b2.c", REJECT)
    review.decide(store, a1, "a1.m", "b2.m", CONFIRM)
    review.decide(store, a1, "b2.m", "a1.m", REJECT)  # newer, the other way round
    review.decide(store, a1, "a1.b", "b2.d", "unsure")
    review.decide(store, b2, "b2.c", "b2.d", REJECT)  # B2's own records: A1 cannot read it
    everything = judgements(store, a1)
    assert ("b2.c", "b2.d") not in everything and everything[("a1.m", "b2.m")] == REJECT
    for records in ({"a1.a"}, {"b2.m"}, {"b2.c", "b2.d"}, {"a1.a", "a1.m", "b2.d"}, {"x"}):
        expected = {p: j for p, j in everything.items() if records.intersection(p)}
        assert judgements_touching(store, a1, records) == expected, records
    # B2 reads its own and A1's judgement on its record (shared with the record's owner)
    theirs = judgements_touching(store, b2, {"b2.d"})
    assert theirs == {("b2.c", "b2.d"): REJECT, ("a1.b", "b2.d"): "unsure"}
    assert theirs == {p: j for p, j in judgements(store, b2).items() if "b2.d" in p}
    assert judgements_touching(store, v["C3"], {"a1.a", "b2.c", "b2.d"}) == {}


def test_sqlite_finds_them_through_the_partial_index(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans small tables with a scan; the index is the same
    v = chain(store)
    a1 = v["A1"]
    review.decide(store, a1, "a1.a", "b2.c", REJECT)
    sent: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        assert judgements_touching(store, a1, {"a1.a"}) == {("a1.a", "b2.c"): REJECT}
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    (statement, parameters) = next((s, p) for s, p in sent if "'MatchJudgement'" in s)
    with store.engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    assert "ix_statement_judgement_value" in plan, plan
