"""Identities of the ledger carry the merged marking of their records (issue 19, ADR 0034):
after a batch-style replace and after an arrival-style update alike, on both backends, and
a record the viewer may no longer see lends the identity neither its name nor its codes."""

from __future__ import annotations

from palermo.match import ledger, ledger_access
from palermo.model.handling_merge import Marking
from palermo.store.store import Store
from tests.match.test_resolution import add
from tests.store.factories import setup_agencies


def test_a_merged_identity_carries_the_union_of_its_records_markings(store: Store) -> None:
    v = setup_agencies(store, {"A1": (), "B2": ()})
    add(store, v["A1"], "a1.p1", "all|H0:investigation,H0:analysis,H3:ask first|B2", name="Ivan")
    add(store, v["B2"], "b2.p2", "all|H0:analysis,H1|A1", name="Ivan Petrov")
    add(store, v["B2"], "b2.p3", "all|H3:no contact%2C ever", name="Olga")
    scope = ledger.scope_of(v["A1"])
    ledger.record(store, scope, {"a1.p1": "I1", "b2.p2": "I2", "b2.p3": "I3"})
    # an arrival writes back through the same ledger, updating only what it names
    ledger.record(store, scope, {"b2.p2": "I1"}, replace=False, read=ledger.involved)
    ledger.record(store, scope, {"b2.p3": "I1"}, replace=False, read=ledger.involved)

    seen = ledger_access.identity_of(store, v["A1"], "a1.p1")
    marking = Marking.parse(seen.handling)
    assert {m.id for m in seen.records} == {"a1.p1", "b2.p2", "b2.p3"}
    assert marking.codes == ["H0", "H1", "H3"]
    assert marking.purposes == frozenset({"analysis"})  # allowed by every record: intersection
    assert marking.restrictions == frozenset({"ask first", "no contact, ever"})  # union
    assert marking.grade is None  # b2.p3 is ungraded, so the identity may claim no grade
    assert not marking.allows("investigation")

    _, entries = ledger_access.ledger_page(store, v["A1"])
    merged = [i for e in entries for i in e.after if i.id == "I1" and len(i.records) == 3]
    assert merged and all(Marking.parse(i.handling) == marking for i in merged)


def test_a_record_the_viewer_cannot_see_lends_no_codes(store: Store) -> None:
    v = setup_agencies(store, {"A1": (), "B2": ()})
    add(store, v["A1"], "a1.p1", "all|H2", name="Ivan")
    add(store, v["B2"], "b2.p2", "B2|H3:secret restriction", name="Ivan")  # only B2 sees it
    scope = ledger.scope_of(v["A1"])
    ledger.record(store, scope, {"a1.p1": "I1", "b2.p2": "I1"})
    seen = ledger_access.identity_of(store, v["A1"], "a1.p1")
    assert seen.hidden == 1
    assert seen.handling == "H2|"
