"""Incremental resolution: an arriving record joins the identities a batch run would give it
(issue 15), identity ids survive reruns, merges can be undone, and a view only links what
it may see."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from palermo.match import ledger
from palermo.match.incremental import Resolver, arrive, load_model, resolve_incremental, run_batch
from palermo.match.xref import XrefRecord, resolve
from palermo.store.store import Store
from tests.conftest import wipe
from tests.match.test_resolution import add
from tests.store.factories import setup_agencies

# The demo's child victim (issue 15): one passport, the name in another order, birth dates
# a year apart; the two records come from two agencies.
OKOYE_NG = XrefRecord(
    "ng.okoye", "NG", ("Osagie Ikponmwosa Okoye",), "2008-03-14", "ng", "male", "A04417392",
    documents=("A04417392",),
)  # fmt: skip
OKOYE_NL = XrefRecord(
    "nl.okoye", "NL", ("OKOYE OSAGIE IKPONMWOSA",), "2007-03-14", "ng", "male", "A 04417392",
    documents=("A 04417392",),
)  # fmt: skip
OTHERS = [
    XrefRecord("de.petrov", "DE", ("Ivan Petrov",), "1980-02-03", "ru", "male"),
    XrefRecord("nl.petrov", "NL", ("PETROV Ivan",), "1980-02-03", "ru", "male"),
    XrefRecord("de.berg", "DE", ("Anna Berg",), "1975-06-01", "de", "female"),
    XrefRecord("th.somchai", "TH", ("Somchai Jaidee",), "1990-01-02", "th", "male"),
    XrefRecord("nl.somchai", "NL", ("สมชาย ใจดี",), "1990-01-02", "th", "male"),
    XrefRecord("ng.eze", "NG", ("Chinedu Eze",), "1988-11-20", "ng", "male", "B1234567"),
    XrefRecord("de.kowalski", "DE", ("Jan Kowalski",), "1969-09-09", "pl", "male"),
    XrefRecord("nl.kowalska", "NL", ("Anna Kowalska",), "1971-01-01", "pl", "female"),
    XrefRecord("th.malee", "TH", ("Malee Srisuk",), None, "th", "female"),
]


def clusters_of(identity: dict[str, str]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for rid, iid in identity.items():
        groups.setdefault(iid, []).append(rid)
    return sorted(sorted(g) for g in groups.values())


def test_the_same_passport_pair_arriving_joins_as_in_batch() -> None:
    resolver = Resolver.build([*OTHERS, OKOYE_NG])
    arrival = resolve_incremental(resolver, OKOYE_NL)
    assert arrival.identity == resolver.identities()["ng.okoye"]
    link = next(lk for lk in arrival.links if {lk.left, lk.right} == {"ng.okoye", "nl.okoye"})
    assert link.evidence is not None and "A04417392" in link.evidence
    batch = resolve([*OTHERS, OKOYE_NG, OKOYE_NL])
    assert ["ng.okoye", "nl.okoye"] in batch.clusters


def test_records_added_one_by_one_end_as_a_batch_run_with_the_same_model() -> None:
    everyone = [*OTHERS, OKOYE_NG, OKOYE_NL]
    first = Resolver.build(everyone[:5])
    for record in everyone[5:]:
        first.add(record)
    batch = Resolver.build(everyone, model=first.model)
    assert clusters_of(first.identities()) == sorted(batch.resolution.clusters)
    assert ["de.petrov", "nl.petrov"] in batch.resolution.clusters  # not all apart


def test_an_arrival_that_bridges_two_identities_merges_them_and_keeps_their_survivor() -> None:
    one = XrefRecord("a.1", "A", ("Ivan Petrov",), documents=("XK1234567",))
    two = XrefRecord("b.2", "B", ("Ivan Petrov",), phones=("+7 912 345 6789",))
    bridge = XrefRecord(
        "c.3", "C", ("Petrov Ivan",), documents=("XK1234567",), phones=("89123456789",)
    )
    resolver = Resolver.build([one, two])
    before = resolver.identities()
    assert before["a.1"] != before["b.2"]
    arrival = resolver.add(bridge)
    after = resolver.identities()
    assert after["a.1"] == after["b.2"] == after["c.3"]
    assert after["a.1"] in (before["a.1"], before["b.2"])  # an existing id survives
    assert arrival.merged == [({before["a.1"], before["b.2"]} - {after["a.1"]}).pop()]


def test_ids_are_stable_across_batch_runs_with_records_added(store: Store) -> None:
    v = setup_agencies(store, {"A1": (), "B2": ()})
    add(store, v["A1"], "a1.okoye", "all", name="Osagie Ikponmwosa Okoye",
        birthDate="2008-03-14", nationality="ng", passportNumber="A04417392")  # fmt: skip
    add(store, v["A1"], "a1.petrov", "all", name="Ivan Petrov", birthDate="1980-02-03")
    add(store, v["A1"], "a1.berg", "all", name="Anna Berg", birthDate="1975-06-01")
    first = run_batch(store, v["A1"]).identities()
    assert ledger.membership(store, ledger.scope_of(v["A1"])) == first
    add(store, v["B2"], "b2.okoye", "all", name="OKOYE OSAGIE IKPONMWOSA",
        birthDate="2007-03-14", nationality="ng", passportNumber="A 04417392")  # fmt: skip
    add(store, v["B2"], "b2.eze", "all", name="Chinedu Eze", birthDate="1988-11-20")
    second = run_batch(store, v["A1"]).identities()
    assert all(second[rid] == iid for rid, iid in first.items())
    assert second["b2.okoye"] == first["a1.okoye"]  # joined the existing identity
    assert second["b2.eze"] not in first.values()
    assert load_model(store, ledger.scope_of(v["A1"])) is not None
    third = run_batch(store, v["A1"], retrain=False).identities()
    assert third == second


def test_undo_of_an_arrivals_merge_restores_both_identities(store: Store) -> None:
    v = setup_agencies(store, {"A1": ()})
    add(store, v["A1"], "a1.one", "owner", name="Ivan Petrov", passportNumber="XK1234567")
    add(store, v["A1"], "a1.two", "owner", name="Ivan Petrov", phone="+7 912 345 6789")
    resolver = run_batch(store, v["A1"])
    scope = ledger.scope_of(v["A1"])
    before = ledger.membership(store, scope)
    assert before["a1.one"] != before["a1.two"]
    add(store, v["A1"], "a1.three", "owner", name="Petrov Ivan",
        passportNumber="XK1234567", phone="+7 912 345 6789")  # fmt: skip
    (arrival,) = arrive(store, v["A1"], resolver, ["a1.three"])
    assert arrival.merged
    merged = ledger.membership(store, scope)
    assert merged["a1.one"] == merged["a1.two"] == merged["a1.three"]
    entry = ledger.entries(store, scope)[0]
    assert entry.action == "merge" and entry.model_version == resolver.version
    assert {e["right"] for e in entry.evidence} >= {"a1.three"}

    ledger.undo(store, v["A1"], entry.seq)
    restored = ledger.membership(store, scope)
    assert restored["a1.one"] == before["a1.one"] and restored["a1.two"] == before["a1.two"]
    # a full rerun does not merge them again: the undo stands as a reject judgement
    again = run_batch(store, v["A1"]).identities()
    assert again["a1.one"] != again["a1.two"]


AGENCIES = ("A1", "B2", "C3")
audiences = st.sampled_from(["owner", "all", "group:EU", "A1", "B2", "C3", "A1,C3"])


@settings(
    max_examples=6,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # each example resolves three views: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=audiences, second=audiences)
def test_a_link_exists_only_in_views_that_see_both_records(
    store: Store, first: str, second: str
) -> None:
    wipe(store)
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    add(store, v["A1"], "a1.okoye", first, name="Osagie Ikponmwosa Okoye",
        birthDate="2008-03-14", nationality="ng", passportNumber="A04417392")  # fmt: skip
    resolvers = {code: run_batch(store, v[code]) for code in AGENCIES}
    add(store, v["B2"], "b2.okoye", second, name="OKOYE OSAGIE IKPONMWOSA",
        birthDate="2007-03-14", nationality="ng", passportNumber="A 04417392")  # fmt: skip
    for code in AGENCIES:
        arrive(store, v[code], resolvers[code], ["b2.okoye"])
        identity = resolvers[code].identities()
        seen = {rid for rid in ("a1.okoye", "b2.okoye") if store.entity(v[code], rid)}
        assert set(identity) == seen  # the view holds exactly what the viewer may see
        linked = len(seen) == 2 and identity["a1.okoye"] == identity["b2.okoye"]
        assert linked == (len(seen) == 2)
        stored = ledger.membership(store, ledger.scope_of(v[code]))
        assert set(stored) == seen


def test_a_record_no_longer_visible_leaves_the_view(store: Store) -> None:
    v = setup_agencies(store, {"A1": (), "B2": ()})
    add(store, v["A1"], "a1.petrov", "all", name="Ivan Petrov", birthDate="1980-02-03")
    add(store, v["B2"], "b2.petrov", "all", name="PETROV Ivan", birthDate="1980-02-03")
    resolver = run_batch(store, v["A1"])
    scope = ledger.scope_of(v["A1"])
    assert set(ledger.membership(store, scope)) == {"a1.petrov", "b2.petrov"}
    store.retract(v["B2"], "b2.petrov")
    assert arrive(store, v["A1"], resolver, ["b2.petrov"]) == []
    assert set(resolver.identities()) == set(ledger.membership(store, scope)) == {"a1.petrov"}
