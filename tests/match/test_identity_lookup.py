"""One record's identity looked up alone (`identity_lookup`, `ledger_access.identity_of`)
reads only the identities that decide it, and still gives what the whole view gives
(issue 15, ADR 0046). SQLite and PostgreSQL (`store`).

The ledger here is written directly (`ledger.record` with its links), to hold what a
run can leave and the property test's small world does not: confirms that chain three
stored identities, a confirm refused because it would join a rejected pair, a joining
link between two identities (kept apart by a reject at the run), and an identity whose
records have no link between them (resolved before links were kept)."""

from __future__ import annotations

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.match import identity_lookup, ledger, ledger_access, ledger_pairs
from palermo.match.resolution import judgements
from palermo.match.xref import CONFIRM, REJECT, Link
from palermo.store.store import Store
from tests.analysis.test_review_ledger import add
from tests.store.factories import setup_agencies

IDS = ("a1.p1", "a1.p2", "a1.p3", "a1.p4", "a1.p5", "a1.p6", "a1.p7", "a1.p8")
STORED = {
    "a1.p1": "idn-1",
    "a1.p2": "idn-1",
    "a1.p3": "idn-2",
    "a1.p4": "idn-3",
    "a1.p5": "idn-3",
    "a1.p6": "idn-4",
    "a1.p7": "idn-5",
    "a1.p8": "idn-5",
}
# p1-p2 and p4-p5 made their identities; p1-p7 joins but a reject kept them apart at the
# run; idn-5 (p7, p8) has no link between its records.
LINKS = (
    Link("a1.p1", "a1.p2", 0.99),
    Link("a1.p4", "a1.p5", 0.97),
    Link("a1.p1", "a1.p7", 0.95),
)


def world(store: Store) -> Viewer:
    a1 = setup_agencies(store, {"A1": ()})["A1"]
    for n, eid in enumerate(IDS):
        add(store, a1, eid, "owner", name=f"Person {n}")
    ledger.record(
        store, ledger.scope_of(a1), STORED, pairs=ledger_pairs.Update(LINKS, threshold=0.9)
    )
    return a1


def members(store: Store, viewer: Viewer, record: str) -> set[str]:
    return {m.id for m in ledger_access.identity_of(store, viewer, record).records}


def test_confirms_chain_identities_and_a_rejected_pair_stops_them(store: Store) -> None:
    a1 = world(store)
    review.decide(store, a1, "a1.p2", "a1.p3", CONFIRM)
    review.decide(store, a1, "a1.p3", "a1.p4", CONFIRM)
    review.decide(store, a1, "a1.p5", "a1.p6", REJECT)
    review.decide(store, a1, "a1.p4", "a1.p6", CONFIRM)  # refused: p5-p6 rejected
    review.decide(store, a1, "a1.p1", "a1.p7", REJECT)
    view = review.identities(store, a1)
    for record in IDS:
        found = ledger_access.identity_of(store, a1, record)
        assert found.id == view[record]
        assert {m.id for m in found.records} == {r for r, i in view.items() if i == view[record]}
    assert members(store, a1, "a1.p1") == {"a1.p1", "a1.p2", "a1.p3", "a1.p4", "a1.p5"}
    assert members(store, a1, "a1.p6") == {"a1.p6"}
    # a link to another identity's readable record is no loss: idn-5 stays whole
    assert members(store, a1, "a1.p8") == {"a1.p7", "a1.p8"}


def test_only_the_identities_connected_by_confirms_are_read(store: Store) -> None:
    a1 = world(store)
    review.decide(store, a1, "a1.p3", "a1.p4", CONFIRM)
    found = identity_lookup.identity_around(store, a1, "a1.p3", judgements(store, a1))
    assert found is not None and found.members == ["a1.p3", "a1.p4", "a1.p5"]
    # p1's identity holds a link to p7's, but no confirm: p7's is not part of its answer
    alone = identity_lookup.identity_around(store, a1, "a1.p1", judgements(store, a1))
    assert alone is not None and alone.members == ["a1.p1", "a1.p2"]
    assert identity_lookup.identity_around(store, a1, "a1.nobody", {}) is None


def test_records_joined_through_one_the_view_forgot_come_apart(store: Store) -> None:
    a1 = world(store)
    chain = {"a1.q1": "idn-6", "a1.q2": "idn-6", "a1.q3": "idn-6"}
    for eid in chain:
        add(store, a1, eid, "owner", name=f"Other {eid}")
    links = (Link("a1.q1", "a1.q2", 0.99), Link("a1.q2", "a1.q3", 0.99))
    scope = ledger.scope_of(a1)
    ledger.record(
        store,
        scope,
        chain,
        replace=False,
        read=ledger.involved,
        pairs=ledger_pairs.Update(links, threshold=0.9, records=frozenset(chain)),
    )
    assert members(store, a1, "a1.q1") == set(chain)
    ledger.forget(store, scope, ["a1.q2"])  # q2 keeps its links until the next run
    view = review.identities(store, a1)
    for record in ("a1.q1", "a1.q3"):
        found = ledger_access.identity_of(store, a1, record)
        assert found.id == view[record]
        assert {m.id for m in found.records} == {record}
    store.retract(a1, "a1.p2")  # no longer readable: p1's identity lost it
    assert members(store, a1, "a1.p1") == {"a1.p1"}
    assert ledger_access.identity_of(store, a1, "a1.p1").hidden == 1
