"""The link graph and the analyses follow the resolution ledger (issue 15, ADR 0036).

A merge in the ledger is one node in the chart, its undo is two again, and a record that
arrives joins its identity's node, all without a batch rerun; the cached workspace drops
when the ledger changes. A graph built from the ledger never holds a record or an edge the
viewer may not read. Every test runs on SQLite and PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis.ledger_identities import apply_verdicts
from palermo.analysis.service import Workspace, WorkspaceCache
from palermo.ingest.build import build
from palermo.match import incremental, ledger, ledger_pairs
from palermo.match.resolution import judge
from palermo.match.xref import Link
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import setup_agencies

PASSPORT = "A01234567"


def write(store: Store, viewer: Viewer, eid: str, schema: str, share: str, **props: str) -> None:
    store.write(viewer, build(viewer.agency, eid, schema, props, Sharing.parse(share)))


def okoye_pair(store: Store) -> dict[str, Viewer]:
    """The demo's pair: one child victim recorded by two agencies with the same Nigerian
    passport, the name in another order, birth dates a year apart; plus a recruiter."""
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    write(
        store,
        v["A1"],
        "a1.okoye",
        "Person",
        "group:EU|no-onward",
        name="Osagie Ikponmwosa Okoye",
        passportNumber=PASSPORT,
        nationality="ng",
        birthDate="2009-03-01",
    )
    write(
        store,
        v["B2"],
        "b2.okoye",
        "Person",
        "group:EU|H2",
        name="OKOYE OSAGIE IKPONMWOSA",
        passportNumber=PASSPORT,
        nationality="ng",
        birthDate="2008-03-01",
    )
    write(store, v["A1"], "a1.rec", "Person", "owner", name="Vladimir Kostov")
    write(store, v["A1"], "a1.link", "Associate", "owner", person="a1.okoye", associate="a1.rec")
    return v


def nodes_of(space: Workspace, record: str) -> list[str]:
    """The graph nodes holding `record`."""
    lg = space.link_graph()
    return [n for n, records in lg.records.items() if record in records]


def person_nodes(space: Workspace) -> set[str]:
    return set(space.link_graph().persons())


def test_a_merge_is_one_node_and_its_undo_two_again(store: Store) -> None:
    v = okoye_pair(store)
    a1 = v["A1"]
    scope = ledger.scope_of(a1)
    ledger.record(store, scope, {"a1.okoye": "I1", "b2.okoye": "I2", "a1.rec": "I3"})
    cache = WorkspaceCache(store)
    before = cache.for_viewer(a1)
    assert before.identity_of == {"a1.okoye": "I1", "b2.okoye": "I2", "a1.rec": "I3"}
    assert len(person_nodes(before)) == 3

    link = Link("a1.okoye", "b2.okoye", 0.99, evidence="passport")
    (seq,) = ledger.record(
        store, scope, {"a1.okoye": "I1", "b2.okoye": "I1", "a1.rec": "I3"}, "model", "v1", [link]
    )
    merged = cache.for_viewer(a1)  # the ledger write dropped the cached workspace
    assert merged is not before
    assert nodes_of(merged, "a1.okoye") == nodes_of(merged, "b2.okoye") == ["I1"]
    assert person_nodes(merged) == {"I1", "I3"}
    # the identity carries both records' handling codes (model.handling_merge)
    assert {"H2", "no-onward"} <= set(merged.link_graph().handling["I1"].split("|")[0].split(","))
    (risk,) = [r for r in merged.risk(top=10) if r["identity"] == "I1"]
    assert {"H2", "no-onward"} <= set(risk["handling"].split("|")[0].split(","))
    assert {b["id"] for b in merged.brokers(exclude=())} <= {"I1", "I3"}

    ledger.undo(store, a1, seq, "two children")
    undone = cache.for_viewer(a1)
    assert nodes_of(undone, "a1.okoye") == ["I1"] and nodes_of(undone, "b2.okoye") == ["I2"]
    assert person_nodes(undone) == {"I1", "I2", "I3"}
    assert "no-onward" not in undone.link_graph().handling["I2"]


def test_a_view_without_a_ledger_resolves_in_batch_and_the_pair_is_one(store: Store) -> None:
    v = okoye_pair(store)
    batch = Workspace.load(store, v["A1"])
    assert nodes_of(batch, "a1.okoye") == nodes_of(batch, "b2.okoye")
    assert not ledger.membership(store, ledger.scope_of(v["A1"]))


def test_an_arrival_joins_the_node_without_a_rerun(store: Store) -> None:
    v = okoye_pair(store)
    a1 = v["A1"]
    resolver = incremental.run_batch(store, a1)
    cache = WorkspaceCache(store)
    space = cache.for_viewer(a1)
    (node,) = nodes_of(space, "a1.okoye")
    assert node.startswith(ledger.ID_PREFIX)  # the ledger's stable id, not a batch hash
    assert nodes_of(space, "b2.okoye") == [node]  # the demo's same-passport pair: one

    write(
        store,
        a1,
        "a1.okoye2",
        "Person",
        "owner",
        name="Osagie Okoye",
        passportNumber=PASSPORT,
        nationality="ng",
    )
    assert nodes_of(cache.for_viewer(a1), "a1.okoye2") == ["a1.okoye2"]  # not resolved yet
    incremental.arrive(store, a1, resolver, ["a1.okoye2"])
    joined = cache.for_viewer(a1)
    assert nodes_of(joined, "a1.okoye2") == [node]
    assert sorted(joined.link_graph().records[node]) == ["a1.okoye", "a1.okoye2", "b2.okoye"]


def test_judgements_lie_over_the_ledger_until_it_obeys_them(store: Store) -> None:
    v = okoye_pair(store)
    a1 = v["A1"]
    scope = ledger.scope_of(a1)
    ledger.record(store, scope, {"a1.okoye": "I1", "b2.okoye": "I2", "a1.rec": "I3"})
    judge(store, a1, "a1.okoye", "b2.okoye", "confirm")
    assert nodes_of(Workspace.load(store, a1), "b2.okoye") == ["I1"]
    ledger.record(store, scope, {"a1.okoye": "I1", "b2.okoye": "I1", "a1.rec": "I1"})
    judge(store, a1, "a1.okoye", "a1.rec", "reject")
    space = Workspace.load(store, a1)
    assert nodes_of(space, "a1.okoye") != nodes_of(space, "a1.rec")


def test_apply_verdicts_never_joins_across_a_rejected_pair() -> None:
    base = {"a": "I1", "b": "I2", "c": "I2"}
    assert apply_verdicts(base, {("a", "b"): "confirm"}) == {"a": "I2", "b": "I2", "c": "I2"}
    kept = apply_verdicts(base, {("a", "b"): "confirm", ("a", "c"): "reject"})
    assert kept == base
    split = apply_verdicts({"a": "I1", "b": "I1"}, {("a", "b"): "reject"})
    assert split == {"a": "a", "b": "b"}
    assert apply_verdicts(base, {("a", "zz"): "confirm"}) == base  # unknown record: nothing


AGENCIES = ("A1", "B2", "C3")
SHARES = ("owner", "all", "group:EU", "A1", "B2")


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    """Persons of three agencies with random sharing, links between them with random
    sharing, and a ledger for the viewer's view that merges persons at random (as if
    resolved while sharing was wider)."""
    n = draw(st.integers(2, 6))
    persons = [(f"{AGENCIES[i % 3].lower()}.p{i}", draw(st.sampled_from(SHARES))) for i in range(n)]
    links = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(SHARES)),
            max_size=6,
        )
    )
    groups = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    viewer = draw(st.sampled_from(AGENCIES))
    return {"persons": persons, "links": links, "groups": groups, "viewer": viewer}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_a_graph_from_the_ledger_holds_only_what_the_viewer_reads(
    store: Store, world: dict[str, Any]
) -> None:
    wipe(store)
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    owner = {rid: rid.split(".")[0].upper() for rid, _ in world["persons"]}
    for i, (rid, share) in enumerate(world["persons"]):
        write(
            store,
            v[owner[rid]],
            rid,
            "Person",
            share,
            name=f"Person {i}",
            phone=f"+49 30 1234567{i}",
        )
    for k, (a, b, share) in enumerate(world["links"]):
        left, right = world["persons"][a][0], world["persons"][b][0]
        agency = owner[left]
        write(store, v[agency], f"{agency.lower()}.l{k}", "Associate", share, person=left,
              associate=right)  # fmt: skip
    viewer = v[world["viewer"]]
    # the view's ledger names every person, readable or not
    ledger.record(
        store,
        ledger.scope_of(viewer),
        {rid: f"I{g}" for (rid, _), g in zip(world["persons"], world["groups"], strict=True)},
    )
    readable = {e.id for e in store.entities(viewer, limit=1000)}
    space = Workspace.load(store, viewer)
    lg = space.link_graph()
    assert set(space.identity_of) <= readable
    placed = {r for records in lg.records.values() for r in records}
    assert placed <= readable
    node_records = {n: set(records) for n, records in lg.records.items()}
    for node in lg.graph.g.vs["name"]:
        assert node_records.get(node, set()) <= readable
        assert node in node_records or node.startswith("phone:")  # no node from nothing
    node = space.identity_of
    associates = set()
    for link in store.entities(viewer, schema="Associate", limit=1000):
        a, b = link.first("person") or "", link.first("associate") or ""
        associates.add((node.get(a, a), node.get(b, b)))
    for edge in lg.edges:
        if edge.kind == "associate":
            assert (edge.source, edge.target) in associates


def test_the_ledger_is_read_with_the_visibility_rule_in_the_query(store: Store) -> None:
    v = okoye_pair(store)
    a1, b2 = v["A1"], v["B2"]
    assert ledger.visible_membership(store, a1) is None  # never resolved: no ledger
    write(store, b2, "b2.secret", "Person", "owner", name="Osagie Okoye")
    scope = ledger.scope_of(a1)
    joined = [Link("a1.okoye", "b2.okoye", 0.99, evidence="passport")]  # joined directly
    ledger.record(
        store,
        scope,
        {"a1.okoye": "I1", "b2.okoye": "I1", "b2.secret": "I1"},
        links=joined,
        pairs=ledger_pairs.Update(joined, 0.9),
    )
    assert ledger.visible_membership(store, a1) == {"a1.okoye": "I1", "b2.okoye": "I1"}
    store.retract(b2, "b2.okoye")  # what the view resolved over can narrow
    assert ledger.visible_membership(store, a1) == {"a1.okoye": "I1"}
    assert nodes_of(Workspace.load(store, a1), "b2.okoye") == []
