"""The review queue on the ledger (issue 15, ADR 0046): a resolved view is reviewed from the
pairs its resolver scored, an arrival's pairs are queued at once without a batch run, a
confirm or reject shows at once in the queue and in the analyses, an identity joined only
through a record the viewer no longer reads splits at once, and a record the viewer no
longer reads leaves the queue. Every test runs on SQLite and PostgreSQL (`store`)."""

from __future__ import annotations

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.analysis.service import Workspace
from palermo.coordination import cases
from palermo.ingest.build import build
from palermo.match import incremental, ledger, ledger_pairs
from palermo.match.xref import Link
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import xref_model, xref_pair
from tests.store.factories import setup_agencies

PASSPORT, PHONE = "XK1234567", "+7 912 345 6789"


def add(store: Store, viewer: Viewer, eid: str, share: str, **props: str) -> None:
    agency = eid.split(".")[0].upper()
    store.write(viewer, build(agency, eid, "Person", props, Sharing.parse(share)))


# (eid, sharing, properties): one man in four records - a1.a and b2.c share a passport,
# b2.c, a1.b and b2.d a phone, so a1.a is joined to the others only through b2.c - and a
# borderline pair (same name, birth years apart: about 0.54, between the review and merge
# thresholds).
RECORDS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("a1.a", "group:EU", {"name": "Ivan Petrov", "passportNumber": PASSPORT}),
    ("b2.c", "group:EU", {"name": "Petrov Ivan", "passportNumber": PASSPORT, "phone": PHONE}),
    ("a1.b", "owner", {"name": "Ivan Petrov", "phone": PHONE}),
    ("b2.d", "group:EU", {"name": "Ivan Petrov", "phone": PHONE, "birthDate": "1980-02-03"}),
    ("a1.m", "owner", {"name": "Maria Lopez", "birthDate": "1990-01-01"}),
    ("b2.m", "group:EU", {"name": "Maria Lopez", "birthDate": "1991-01-01"}),
)


def chain(store: Store) -> dict[str, Viewer]:
    """The agencies (A1 and B2 in the EU group, C3 alone) and RECORDS."""
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    for eid, share, props in RECORDS:
        add(store, v[eid.split(".")[0].upper()], eid, share, **props)
    return v


def pairs(items: list[review.ReviewItem]) -> set[frozenset[str]]:
    return {frozenset((i.left, i.right)) for i in items}


def test_the_queue_lists_the_ledgers_pairs_with_the_explained_score(store: Store) -> None:
    v = chain(store)
    a1 = v["A1"]
    resolver = incremental.run_batch(store, a1)
    items = review.queue(store, a1)
    assert pairs(items) == {frozenset(("a1.m", "b2.m"))}
    (item,) = items
    assert item.source == review.LEDGER
    assert review.REJECT_THRESHOLD <= item.probability < review.LINK_THRESHOLD
    assert item.features["name"] > 0 and "dob" in item.features  # what drove the score
    assert item.identities[0] != item.identities[1] and not item.joined
    stored = ledger.visible_membership(store, a1)
    assert stored is not None and item.identities == (stored["a1.m"], stored["b2.m"])
    # the same pair and probability the resolver holds
    (held,) = [lk for lk in resolver.resolution.links if {lk.left, lk.right} == {"a1.m", "b2.m"}]
    assert abs(held.probability - item.probability) < 1e-9


def test_an_arrivals_pairs_are_queued_at_once_without_a_batch_run(store: Store) -> None:
    v = chain(store)
    a1 = v["A1"]
    resolver = incremental.run_batch(store, a1)
    with store.engine.connect() as conn:
        models = conn.execute(sa.select(sa.func.count()).select_from(xref_model)).scalar()
    add(store, v["B2"], "b2.n", "group:EU", name="Maria Lopez", birthDate="1992-01-01")
    assert frozenset(("a1.m", "b2.n")) not in pairs(review.queue(store, a1))  # not arrived
    incremental.arrive(store, a1, resolver, ["b2.n"])
    queued = pairs(review.queue(store, a1))
    assert frozenset(("a1.m", "b2.n")) in queued and frozenset(("a1.m", "b2.m")) in queued
    with store.engine.connect() as conn:  # no batch run: the same one model
        assert conn.execute(sa.select(sa.func.count()).select_from(xref_model)).scalar() == models
    # a changed record's old pairs go: it arrives again with another name
    store.retract(v["B2"], "b2.n", "name")
    add(store, v["B2"], "b2.n", "group:EU", name="Olga Sidorova")
    incremental.arrive(store, a1, resolver, ["b2.n"])
    assert frozenset(("a1.m", "b2.n")) not in pairs(review.queue(store, a1))


def test_confirm_and_reject_show_at_once_in_the_queue_and_the_analyses(store: Store) -> None:
    v = chain(store)
    a1 = v["A1"]
    incremental.run_batch(store, a1)
    review.decide(store, a1, "a1.m", "b2.m", "confirm", "same woman")
    assert review.queue(store, a1) == []
    joined = review.identities(store, a1)
    assert joined["a1.m"] == joined["b2.m"]
    space = Workspace.load(store, a1)
    assert space.identity_of["a1.m"] == space.identity_of["b2.m"]
    review.decide(store, a1, "a1.m", "b2.m", "undo")
    assert pairs(review.queue(store, a1)) == {frozenset(("a1.m", "b2.m"))}
    review.decide(store, a1, "a1.m", "b2.m", "reject")
    assert review.queue(store, a1) == []
    apart = review.identities(store, a1)
    assert apart["a1.m"] != apart["b2.m"]
    # a reject of a pair the ledger joined parts the identity at once
    review.decide(store, a1, "a1.b", "b2.d", "reject")
    parted = review.identities(store, a1)
    assert parted["a1.b"] != parted["b2.d"]
    assert Workspace.load(store, a1).identity_of["a1.b"] != parted["b2.d"]


def test_records_joined_only_through_a_hidden_one_split_at_once(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    incremental.run_batch(store, a1)
    before = review.identities(store, a1)
    assert before["a1.a"] == before["a1.b"] == before["b2.c"] == before["b2.d"]
    store.retract(b2, "b2.c")  # A1 can no longer read the bridge
    after = review.identities(store, a1)
    assert "b2.c" not in after
    assert after["a1.a"] != after["a1.b"], "joined only through b2.c: apart at once"
    assert after["a1.b"] == after["b2.d"] == before["a1.b"], "joined directly: kept, same id"
    space = Workspace.load(store, a1)  # the analyses read the same split
    assert space.identity_of["a1.a"] != space.identity_of["a1.b"]
    add(store, b2, "b2.c", "group:EU", name="Petrov Ivan", passportNumber=PASSPORT, phone=PHONE)
    again = review.identities(store, a1)  # shared again: one again, as resolved
    assert again["a1.a"] == again["a1.b"] == again["b2.c"] == before["a1.a"]


def test_a_record_taken_out_of_the_view_splits_what_it_joined(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    resolver = incremental.run_batch(store, a1)
    store.retract(b2, "b2.c")
    incremental.arrive(store, a1, resolver, ["b2.c"])  # the feed forgets it in the view
    assert "b2.c" not in ledger.membership(store, ledger.scope_of(a1))
    after = review.identities(store, a1)
    assert after["a1.a"] != after["a1.b"]


def test_a_record_no_longer_readable_leaves_the_queue(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    incremental.run_batch(store, a1)
    assert pairs(review.queue(store, a1)) == {frozenset(("a1.m", "b2.m"))}
    store.retract(b2, "b2.m")
    assert review.queue(store, a1) == []
    with store.engine.connect() as conn:  # the pair is still kept: the query hides it
        assert conn.execute(sa.select(sa.func.count()).select_from(xref_pair)).scalar()


def test_a_pair_joining_a_case_subjects_identity_ranks_first(store: Store) -> None:
    v = chain(store)
    a1 = v["A1"]
    add(store, v["A1"], "a1.o", "owner", name="Olga Sidorova", birthDate="1970-03-03")
    add(store, v["B2"], "b2.o", "group:EU", name="Olga Sidorova", birthDate="1971-03-03")
    incremental.run_batch(store, a1)
    plain = review.queue(store, a1)
    assert pairs(plain) == {frozenset(("a1.m", "b2.m")), frozenset(("a1.o", "b2.o"))}
    assert all(i.value == 0 for i in plain)
    cases.open_case(store, a1, "A-CASE-9", "Lopez", "forced-labour", ["a1.m"])
    ranked = review.queue(store, a1)
    assert {ranked[0].left, ranked[0].right} == {"a1.m", "b2.m"}
    assert ranked[0].value == review.IN_CASE and ranked[0].reasons[0] == "in case A-CASE-9"
    assert ranked[1].value == 0


def test_split_hidden_keeps_what_readable_links_hold() -> None:
    membership = {"a": "I", "b": "I", "d": "I", "x": "J", "y": "J"}
    edges = [("a", "c"), ("b", "c"), ("b", "d"), ("x", "y")]
    split = ledger_pairs.split_hidden(membership, {"I"}, edges)
    assert split == {"a": "a", "b": "I", "d": "I", "x": "J", "y": "J"}
    # nothing lost: unchanged; an edge to a record out of the view also counts as lost
    assert ledger_pairs.split_hidden(membership, set(), [("a", "b"), ("b", "d")]) == membership
    gone = ledger_pairs.split_hidden({"a": "I", "b": "I"}, set(), [("a", "z"), ("b", "z")])
    assert gone == {"a": "I", "b": "b"}
    # lost, with no link kept: single records (no one can tell they were joined directly)
    assert ledger_pairs.split_hidden({"a": "I", "b": "I"}, {"I"}, []) == {"a": "I", "b": "b"}


def test_pairs_are_written_as_the_difference(store: Store) -> None:
    scope = "A1|plain"
    one = Link("a", "b", 0.6, {"name": 1.0})
    two = Link("b", "c", 0.95, {"name": 2.0})
    with store.transaction() as conn:
        ledger_pairs.write(conn, scope, ledger_pairs.Update([one, two], 0.9), "v1")
    with store.transaction() as conn:
        ledger_pairs.write(conn, scope, ledger_pairs.Update([two], 0.9), "v1")
        assert ledger_pairs.joining(conn, scope) == [("b", "c")]
        rows = conn.execute(sa.select(xref_pair.c.left_id, xref_pair.c.right_id)).fetchall()
        assert [tuple(r) for r in rows] == [("b", "c")]
        arrived = Link("c", "d", 0.7)
        ledger_pairs.write(conn, scope, ledger_pairs.Update([arrived], 0.9, frozenset({"c"})), "v1")
        rows = conn.execute(sa.select(xref_pair.c.left_id, xref_pair.c.right_id)).fetchall()
        assert sorted(tuple(r) for r in rows) == [("c", "d")]  # c's old pair replaced


def test_the_api_lists_the_ledger_queue_with_each_sides_identity(store: Store) -> None:
    from fastapi.testclient import TestClient

    from palermo.api.app import create_app
    from tests.store.factories import SYSTEM

    v = chain(store)
    incremental.run_batch(store, v["A1"])
    store.add_user(SYSTEM, "ana", "A1", "analyst")
    token = store.create_token(SYSTEM, "ana", "test")
    with TestClient(create_app(store)) as client:
        body = client.get("/api/v1/review", headers={"Authorization": f"Bearer {token}"}).json()
    (item,) = body["items"]
    assert {item["left"], item["right"]} == {"a1.m", "b2.m"}
    assert item["source"] == "ledger" and item["joined"] is False
    membership = ledger.visible_membership(store, v["A1"])
    assert membership is not None
    assert item["identities"] == [membership[item["left"]], membership[item["right"]]]
