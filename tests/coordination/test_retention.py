"""Retention and review clocks on both backends: an expired record disappears from search,
screening, analysis and export; a record at review is listed for its owner only; "keep"
moves the clock; the sweep never touches another agency's statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import NotVisible, Viewer
from palermo.analysis.service import Workspace
from palermo.coordination import retention
from palermo.match.person import PersonRecord
from palermo.match.service import IndexCache
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.search_index import search_term
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.conftest import wipe
from tests.store.factories import SYSTEM, person, setup_agencies

EU = Sharing.parse("group:EU")
YEAR = timedelta(days=366)


def later(years: float) -> datetime:
    return datetime.now(UTC) + years * YEAR


def rows_of(store: Store, agency: str) -> set[tuple[str, bool]]:
    """Every stored statement of the agency: its id and whether it is a retraction."""
    with store.engine.connect() as conn:
        query = sa.select(statement.c.id, statement.c.retracted).where(statement.c.agency == agency)
        return {(i, bool(r)) for i, r in conn.execute(query)}


def values_of(store: Store, viewer: Viewer, agency: str) -> set[tuple[str, str, str]]:
    """The agency's values the viewer can export."""
    return {
        (e.id, prop, v.value)
        for e in store.export(viewer)
        for prop, values in e.properties.items()
        for v in values
        if v.agency == agency
    }


def world(store: Store) -> dict[str, Viewer]:
    """A1 (on NL's periods: erased after 5 years) holds a suspect with a passport, shared
    with the EU group; B2 (on EU periods: reviewed every 3 years, never erased by age) holds
    a person and a note on A1's suspect."""
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    retention.set_jurisdiction(store, SYSTEM, "A1", "NL")
    retention.set_jurisdiction(store, SYSTEM, "B2", "EU")
    a1, b2 = viewers["A1"], viewers["B2"]
    stmts = person("A1", "p1", EU, name="Ivan Petrov", topics="crime.traffick.human")
    doc = "a1.doc1"
    stmts += [
        Statement(doc, "Passport", BASE, doc, "A1", "doc1", EU),
        Statement(doc, "Passport", "number", "XK1234567", "A1", "doc1", EU),
        Statement(doc, "Passport", "holder", "a1.p1", "A1", "doc1", EU),
    ]
    store.write(a1, stmts)
    store.write(b2, person("B2", "q1", EU, name="Olga Berg"))
    store.write(b2, [Statement("a1.p1", "Person", "keywords", "seen in Rotterdam", "B2", "n1", EU)])
    return viewers


def test_an_expired_record_disappears_from_every_view(store: Store) -> None:
    viewers = world(store)
    a1, b2 = viewers["A1"], viewers["B2"]
    screening = IndexCache(store)
    assert [e.id for e in store.search(b2, "petrov")] == ["a1.p1"]
    assert any(
        c.person.id == "a1.p1"
        for c in screening.for_viewer(b2).screen(PersonRecord("q", ("Ivan Petrov",)))
    )
    assert values_of(store, b2, "A1")
    b2_before = rows_of(store, "B2")

    assert retention.sweep(store, later(4)).erased == []  # NL: review after 1, erase after 5
    assert {e for _, e in retention.sweep(store, later(4)).queued} == set()  # already queued
    assert {i.entity_id for i in retention.queued(store, a1)} == {"a1.p1", "a1.doc1"}

    report = retention.sweep(store, later(6))
    assert sorted(report.erased) == [("A1", "a1.doc1"), ("A1", "a1.p1")]
    assert report.failed == []
    for viewer in (a1, b2):
        assert list(store.search(viewer, "petrov")) == []
        assert list(store.search(viewer, "XK1234567")) == []
        hits = screening.for_viewer(viewer).screen(PersonRecord("q", ("Ivan Petrov",)), 10, 0.0)
        assert [c.person.id for c in hits] == []
        assert values_of(store, viewer, "A1") == set()
        space = Workspace.load(store, viewer, resolve=False)
        assert not any("A1" in e["agency"].split(",") for e in space.entities)
        assert not any("a1.doc1" in r for r in space.link_graph().records.values())
    assert retention.queued(store, a1) == []
    # B2's own statements, including its note on A1's entity, are exactly as they were
    assert rows_of(store, "B2") == b2_before
    note = store.entity(b2, "a1.p1")
    assert note is not None and set(note.properties) == {"keywords"}
    # the owner's index terms of the erased records are gone, not just hidden
    with store.engine.connect() as conn:
        a1_terms = conn.execute(
            sa.select(sa.func.count())
            .select_from(search_term.join(statement, statement.c.seq == search_term.c.seq))
            .where(statement.c.agency == "A1")
        ).scalar_one()
    assert a1_terms == 0
    erasures = [e for e in store.audit_entries() if e.action == "retention.erase"]
    assert sorted(e.target for e in erasures) == ["a1.doc1", "a1.p1"]
    assert {e.agency for e in erasures} == {"A1"}
    assert store.audit_verify().ok


def test_a_record_at_review_is_listed_for_its_owner_only_and_keep_moves_the_clock(
    store: Store,
) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    retention.set_jurisdiction(store, SYSTEM, "A1", "EU")
    a1, b2 = viewers["A1"], viewers["B2"]
    store.write(a1, person("A1", "p1", EU, name="Ivan Petrov"))

    assert retention.sweep(store, later(2)).queued == []  # EU: review after 3 years
    assert retention.sweep(store, later(4)).queued == [("A1", "a1.p1")]
    assert [(i.entity_id, i.kind) for i in retention.queued(store, a1)] == [("a1.p1", "person")]
    assert retention.queued(store, b2) == []  # B2 sees the person, but not A1's queue
    with pytest.raises(NotVisible, match="entity_id"):
        retention.keep(store, b2, "a1.p1", "not mine")
    with pytest.raises(NotVisible, match="entity_id"):
        retention.erase(store, b2, "a1.p1", "not mine")
    with pytest.raises(ValueError, match="reason"):
        retention.keep(store, a1, "a1.p1", "  ")

    kept = retention.keep(store, a1, "a1.p1", "open case 2029/17", now=later(4))
    assert later(6.9) < kept.review_due < later(7.1)  # three more years from the decision
    assert retention.queued(store, a1) == []
    assert retention.sweep(store, later(6.5)).queued == []  # the clock moved
    assert retention.sweep(store, later(7.5)).queued == [("A1", "a1.p1")]
    entity = store.entity(b2, "a1.p1")
    assert entity is not None and "name" in entity.properties  # keeping erased nothing
    keeps = [e for e in store.audit_entries() if e.action == "retention.keep"]
    assert len(keeps) == 1 and "open case 2029/17" in keeps[0].detail

    assert retention.erase(store, a1, "a1.p1", "case closed") == 2
    assert store.entity(b2, "a1.p1") is None
    assert store.entity(a1, "a1.p1") is None
    assert retention.queued(store, a1) == []
    assert store.audit_verify().ok


def test_kinds_follow_the_owners_own_statements(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    retention.set_jurisdiction(store, SYSTEM, "A1", "DE")
    a1 = viewers["A1"]
    own = Sharing.parse("owner")
    stmts = person("A1", "s", own, name="S", topics="crime.traffick.human")
    stmts += person("A1", "v", own, name="V") + person("A1", "m", own, name="M")
    stmts += person("A1", "x", own, name="X")
    stmts += [
        Statement("a1.vr", "VictimRecord", BASE, "a1.vr", "A1", "vr", own),
        Statement("a1.vr", "VictimRecord", "victim", "a1.v", "A1", "vr", own),
        Statement("a1.n", "Notice", BASE, "a1.n", "A1", "n", own),
        Statement("a1.n", "Notice", "noticeType", "yellow", "A1", "n", own),
        Statement("a1.n", "Notice", "subject", "a1.m", "A1", "n", own),
        Statement("a1.c", "InvestigationCase", BASE, "a1.c", "A1", "c", own),
        Statement("a1.c", "InvestigationCase", "caseNumber", "K-1", "A1", "c", own),
    ]
    store.write(a1, stmts)
    with store.engine.connect() as conn:
        agency = next(a for a in store.agencies() if a.code == "A1")
        kinds = {c.entity_id: c.kind for c in retention.clocks(conn, agency, later(30))}
    assert kinds == {
        "a1.s": "person-suspect",
        "a1.v": "person-victim",
        "a1.m": "person-missing",
        "a1.x": "person",
        "a1.vr": "victim-record",
        "a1.n": "notice",
        "a1.c": "case",
    }
    # DE: a victim is erased after 10 years, a suspect after 20
    erased = {e for _, e in retention.sweep(store, later(12)).erased}
    assert "a1.v" in erased and "a1.s" not in erased


def test_coded_periods_are_checked() -> None:
    assert retention.jurisdiction("eu").period("person-suspect").max_years is None
    assert retention.jurisdiction("NL").period("no-such-kind").max_years == 5
    with pytest.raises(ValueError, match="jurisdiction: no coded retention periods for 'XX'"):
        retention.jurisdiction("XX")
    bad = {"jurisdiction": "ZZ", "name": "z", "source": "z", "periods": {"default": {}}}
    with pytest.raises(ValueError, match=r"default\.review_years"):
        retention._jurisdiction(bad, "ZZ.yaml")
    worse = {
        "jurisdiction": "ZZ",
        "name": "z",
        "source": "z",
        "periods": {"default": {"review_years": 3, "max_years": 1}},
    }
    with pytest.raises(ValueError, match="max_years: must be at least review_years"):
        retention._jurisdiction(worse, "ZZ.yaml")
    for code, found in retention.jurisdictions().items():
        assert found.source and found.illustrative, code


RECORD = st.tuples(
    st.sampled_from(["A1", "B2"]),  # writer
    st.integers(0, 3),  # local id
    st.sampled_from(["owner", "group:EU", "all"]),
    st.booleans(),  # also write a note on the other agency's record of the same number
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(RECORD, min_size=1, max_size=8),
    years=st.sampled_from([1.5, 4, 6, 12, 30]),
    other=st.sampled_from(["EU", "GB"]),
)
def test_the_sweep_never_touches_another_agencys_statements(
    store: Store, records: list[tuple[str, int, str, bool]], years: float, other: str
) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    retention.set_jurisdiction(store, SYSTEM, "A1", "NL")  # erased after 5 years
    retention.set_jurisdiction(store, SYSTEM, "B2", other)  # never erased by age
    for agency, n, scope, note in records:
        viewer = viewers[agency]
        store.write(viewer, person(agency, f"p{n}", Sharing.parse(scope), name=f"Name {n}"))
        target = f"{'b2' if agency == 'A1' else 'a1'}.p{n}"
        if note and store.entity(viewer, target) is not None:
            stmt = Statement(target, "Person", "keywords", f"note {n}", agency, f"n{n}", EU)
            store.write(viewer, [stmt])
    b2_before = rows_of(store, "B2")
    a1_before = rows_of(store, "A1")
    b2_values = values_of(store, viewers["B2"], "B2")

    report = retention.sweep(store, later(years))

    assert rows_of(store, "B2") == b2_before
    assert {a for a, _ in report.erased} <= {"A1"}
    a1_now = rows_of(store, "A1")
    if years > 5 and a1_before:
        # erased, and with no peer to wait for, purged in the same sweep (retention_purge)
        assert a1_now == set()
        assert values_of(store, viewers["A1"], "A1") == set()
        assert store.audit_verify().ok
    else:
        assert a1_now == a1_before
    assert values_of(store, viewers["B2"], "B2") == b2_values  # B2 reads all it wrote
