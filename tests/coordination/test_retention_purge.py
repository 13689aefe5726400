"""Physical purge of erased records (issue 19): the rows, their index terms and alerts are
deleted, the purge is its own audit event, ``audit verify`` still holds after it and still
names a row deleted by hand; the purge waits until every peer has the retractions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.coordination import retention
from palermo.exchange.sync import sync_all
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.search_index import search_term
from palermo.store.store import Store
from palermo.store.tables import retention_purge as purge_table
from palermo.store.tables import statement
from tests.conftest import wipe
from tests.exchange.nodes import Node, direct_transport, make_federation
from tests.store.factories import SYSTEM, person, setup_agencies

EU = Sharing.parse("group:EU")
YEAR = timedelta(days=366)


def later(years: float) -> datetime:
    return datetime.now(UTC) + years * YEAR


def rows(store: Store, agency: str | None = None) -> set[tuple[str, str, bool]]:
    """Every stored statement row (entity id, statement id, retraction?), from above."""
    query = sa.select(statement.c.entity_id, statement.c.id, statement.c.retracted)
    if agency is not None:
        query = query.where(statement.c.agency == agency)
    with store.engine.connect() as conn:
        return {(e, i, bool(r)) for e, i, r in conn.execute(query)}


def delete_by_hand(store: Store, statement_id: str) -> None:
    with store.engine.begin() as conn:
        seq = conn.execute(sa.select(statement.c.seq).where(statement.c.id == statement_id))
        found = seq.scalar_one()
        conn.execute(search_term.delete().where(search_term.c.seq == found))
        conn.execute(statement.delete().where(statement.c.seq == found))


def two_agencies(store: Store) -> dict[str, Viewer]:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    retention.set_jurisdiction(store, SYSTEM, "A1", "EU")  # review after 3 years
    retention.set_jurisdiction(store, SYSTEM, "B2", "EU")
    return viewers


def test_purge_deletes_the_rows_and_verify_still_holds(store: Store) -> None:
    viewers = two_agencies(store)
    a1, b2 = viewers["A1"], viewers["B2"]
    # one write holding two records: the purge takes part of a write, not all of it
    store.write(
        a1, person("A1", "p1", EU, name="Ivan Petrov") + person("A1", "p2", EU, name="Olga Berg")
    )
    store.write(b2, person("B2", "q1", EU, name="Anna Weiss"))
    store.write(b2, [Statement("a1.p1", "Person", "keywords", "seen in Kiel", "B2", "n1", EU)])
    b2_rows = rows(store, "B2")
    assert {("A1", "a1.p1"), ("A1", "a1.p2")} <= set(retention.sweep(store, later(4)).queued)
    retention.keep(store, a1, "a1.p2", "open case", now=later(4))
    assert retention.erase(store, a1, "a1.p1", "case closed") == 2
    assert any(e == "a1.p1" for e, _, _ in rows(store, "A1"))  # a tombstone until the purge

    report = retention.sweep(store, later(4))

    assert report.purge.purged == [("A1", "a1.p1", 4)]  # two values and their retractions
    assert report.purge.waiting == []
    assert {e for e, _, _ in rows(store, "A1")} == {"a1.p2"}
    assert rows(store, "B2") == b2_rows  # B2's note on a1.p1 is B2's record: untouched
    with store.engine.connect() as conn:
        terms = conn.execute(
            sa.select(sa.func.count())
            .select_from(search_term.join(statement, statement.c.seq == search_term.c.seq))
            .where(statement.c.entity_id == "a1.p1", statement.c.agency == "A1")
        ).scalar_one()
        done = conn.execute(sa.select(purge_table.c.purged_at, purge_table.c.statements)).all()
    assert terms == 0 and len(done) == 1 and done[0].statements == 4
    assert [e.id for e in store.search(a1, "berg")] == ["a1.p2"]
    assert list(store.search(b2, "petrov")) == []
    purges = [e for e in store.audit_entries() if e.action == "retention.purge"]
    assert [(p.agency, p.target) for p in purges] == [("A1", "a1.p1")]
    assert "Petrov" not in purges[0].detail  # the event explains the rows, not the values
    assert store.audit_verify().ok
    assert retention.sweep(store, later(4)).purge.purged == []  # done once

    # a row deleted by hand, not by a purge, is still named
    kept = next(i for e, i, r in rows(store, "A1") if e == "a1.p2" and not r)
    delete_by_hand(store, kept)
    report_after = store.audit_verify()
    assert not report_after.ok
    assert "deleted behind the audit log's back" in report_after.reason


def test_a_new_record_on_the_same_id_after_the_erasure_is_not_purged(store: Store) -> None:
    viewers = two_agencies(store)
    a1 = viewers["A1"]
    store.write(a1, person("A1", "p1", EU, name="Ivan Petrov"))
    retention.sweep(store, later(4))
    erased_rows = rows(store, "A1")
    assert retention.erase(store, a1, "a1.p1", "case closed") == 2
    store.write(a1, person("A1", "p1", EU, name="Ivan Petrow"))  # re-imported later
    retention.sweep(store, later(1))
    left = rows(store, "A1")
    assert not left & erased_rows and len(left) == 2 and not any(r for *_, r in left)
    assert [e.id for e in store.search(a1, "petrow")] == ["a1.p1"]
    assert store.audit_verify().ok


def converge(nodes: dict[str, Node]) -> None:
    transport = direct_transport(nodes)
    for _ in range(2):
        for node in nodes.values():
            sync_all(node.store, transport)


def test_the_purge_waits_until_every_peer_has_the_retractions(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    de.store.write(de.analyst, person("DE-BKA", "p1", EU, name="Ivan Petrov"))
    converge(nodes)
    assert nl.store.entity(nl.analyst, "de-bka.p1") is not None

    first = retention.sweep(de.store, later(12))  # DE: a person is erased after 10 years
    assert first.erased == [("DE-BKA", "de-bka.p1")]
    # NL may see the retractions and has not acknowledged them; TH may not see them
    assert first.purge.purged == []
    assert first.purge.waiting == [("DE-BKA", "de-bka.p1", "nl-kmar-node")]
    assert rows(de.store, "DE-BKA")

    converge(nodes)
    second = retention.sweep(de.store, later(12))
    assert second.purge.purged == [("DE-BKA", "de-bka.p1", 4)]
    assert rows(de.store, "DE-BKA") == set()
    assert nl.store.entity(nl.analyst, "de-bka.p1") is None
    assert de.store.audit_verify().ok and nl.store.audit_verify().ok


RECORD = st.tuples(
    st.sampled_from(["A1", "B2"]),
    st.integers(0, 3),
    st.sampled_from(["owner", "group:EU", "all"]),
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(RECORD, min_size=1, max_size=6), erase=st.sets(st.integers(0, 3)))
def test_a_purge_removes_only_the_erased_records_of_their_owner(
    store: Store, records: list[tuple[str, int, str]], erase: set[int]
) -> None:
    wipe(store)
    viewers = two_agencies(store)
    for agency, n, scope in records:
        store.write(viewers[agency], person(agency, f"p{n}", Sharing.parse(scope), name=f"N {n}"))
    retention.sweep(store, later(4))
    for n in sorted(erase):
        if any(i.entity_id == f"a1.p{n}" for i in retention.queued(store, viewers["A1"])):
            retention.erase(store, viewers["A1"], f"a1.p{n}", "no longer needed")
    b2_before = rows(store, "B2")
    a1_before = rows(store, "A1")

    report = retention.sweep(store, later(4))

    assert rows(store, "B2") == b2_before
    erased = {e for _, e, _ in report.purge.purged}
    assert {e for e, _, _ in rows(store, "A1")} == {e for e, _, _ in a1_before} - erased
    assert erased <= {f"a1.p{n}" for n in erase}
    for viewer in viewers.values():
        assert not any(e.id in erased for e in store.export(viewer))
    assert store.audit_verify().ok
