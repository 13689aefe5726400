"""The identity ledger API (issue 15): resolve fills the ledger, an undo through the API
restores both identities (ids included) and the next run keeps them apart; another view
(another agency, or the same agency with victim details) can neither see nor undo an
entry; bad input names the field; every action is audited. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.api.app import create_app
from palermo.match import ledger
from palermo.store.store import Store
from tests.api.test_api import auth
from tests.match.test_resolution import add
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ("A1", "B2", "C3")


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    # the same agency with victim details is another view, with its own ledger
    store.add_user(SYSTEM, "vs-a1", "A1", "analyst,victim-support")
    with TestClient(create_app(store)) as c:
        yield c


def bridged_world(store: Store) -> None:
    """Two records of one man that share nothing, and a third that shares a passport with
    the one and a phone with the other: after it arrives, a rerun merges two identities."""
    viewer = store.viewer("analyst-a1")
    add(store, viewer, "a1.one", "all", name="Ivan Petrov", passportNumber="XK1234567")
    add(store, viewer, "a1.two", "all", name="Ivan Petrov", phone="+7 912 345 6789")


def test_resolve_merge_undo_restores_both_identities(client: TestClient, store: Store) -> None:
    bridged_world(store)
    headers = auth(store, "analyst-a1")
    first = client.post("/api/v1/identities/resolve", headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["records"] == 2 and first.json()["identities"] == 2
    scope = ledger.scope_of(store.viewer("analyst-a1"))
    before = ledger.membership(store, scope)
    assert before["a1.one"] != before["a1.two"]

    add(store, store.viewer("analyst-a1"), "a1.three", "all", name="Petrov Ivan",
        passportNumber="XK1234567", phone="+7 912 345 6789")  # fmt: skip
    second = client.post("/api/v1/identities/resolve", headers=headers).json()
    assert len(second["entries"]) == 1
    (seq,) = second["entries"]
    page = client.get("/api/v1/identities/ledger", headers=headers).json()
    assert page["total"] == 1
    merge = page["items"][0]
    assert (merge["seq"], merge["action"], merge["actor"]) == (seq, "merge", "model")
    assert merge["model_version"] == second["model_version"] and merge["undoable"]
    assert {i["id"] for i in merge["before"]} == {before["a1.one"], before["a1.two"]}
    (after,) = merge["after"]
    assert {m["id"] for m in after["records"]} == {"a1.one", "a1.two", "a1.three"}
    assert {m["label"] for m in after["records"]} >= {"Ivan Petrov"}
    assert merge["evidence"] and all("probability" in e for e in merge["evidence"])
    assert client.get(f"/api/v1/identities/ledger/{seq}", headers=headers).json() == merge

    undone = client.post(
        f"/api/v1/identities/ledger/{seq}/undo", headers=headers, json={"reason": "brothers"}
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["action"] == "undo" and undone.json()["undoes"] == seq
    now = ledger.membership(store, scope)
    assert now["a1.one"] == before["a1.one"] and now["a1.two"] == before["a1.two"]
    assert {i["id"] for i in undone.json()["after"]} == {before["a1.one"], before["a1.two"]}
    listed = client.get("/api/v1/identities/ledger", headers=headers).json()["items"]
    assert [e["action"] for e in listed] == ["undo", "merge"]
    assert listed[1]["undone_by"] == listed[0]["seq"] and not listed[1]["undoable"]
    again = client.post(f"/api/v1/identities/ledger/{seq}/undo", headers=headers)
    assert again.status_code == 400 and again.json()["field"] == "seq"

    # the undo stands: a rerun does not merge the two identities again
    client.post("/api/v1/identities/resolve", headers=headers)
    rerun = ledger.membership(store, scope)
    assert rerun["a1.one"] != rerun["a1.two"]
    actions = [e.action for e in store.audit_entries()]
    assert {"xref.batch", "xref.ledger", "xref.undo"} <= set(actions)


def test_paging_and_bad_input_name_the_field(client: TestClient, store: Store) -> None:
    viewer = store.viewer("analyst-a1")
    for i in range(5):
        add(store, viewer, f"a1.p{i}", "owner", name=f"Person {i}")
    scope = ledger.scope_of(viewer)
    ledger.record(store, scope, {f"a1.p{i}": f"I{i}" for i in range(5)})
    for i in range(1, 5):  # four merges, one after the other
        ledger.record(store, scope, {f"a1.p{j}": "I0" if j <= i else f"I{j}" for j in range(5)})
    headers = auth(store, "analyst-a1")
    whole = client.get("/api/v1/identities/ledger?limit=200", headers=headers).json()
    assert whole["total"] == 4 and len(whole["items"]) == 4
    part = client.get("/api/v1/identities/ledger?limit=2&offset=1", headers=headers).json()
    assert [e["seq"] for e in part["items"]] == [e["seq"] for e in whole["items"][1:3]]
    bad = client.get("/api/v1/identities/ledger?limit=0", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "limit"
    bad = client.get(f"/api/v1/identities/ledger?offset={2**63}", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "offset"  # no driver overflow
    bad = client.get("/api/v1/identities/ledger/0", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "seq"
    bad = client.post("/api/v1/identities/resolve?threshold=2", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "threshold"
    bad = client.post(
        f"/api/v1/identities/ledger/{whole['items'][0]['seq']}/undo",
        headers=headers,
        json={"reason": "x" * 1001},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "reason"
    assert client.get("/api/v1/identities/ledger").status_code == 401


def test_a_record_no_longer_shared_is_counted_not_named(client: TestClient, store: Store) -> None:
    a1, b2 = store.viewer("analyst-a1"), store.viewer("analyst-b2")
    add(store, a1, "a1.petrov", "all", name="Ivan Petrov")
    add(store, b2, "b2.petrov", "all", name="PETROV Ivan")
    scope = ledger.scope_of(a1)
    ledger.record(store, scope, {"a1.petrov": "I1", "b2.petrov": "I2"})
    ledger.record(store, scope, {"a1.petrov": "I1", "b2.petrov": "I1"})
    store.retract(b2, "b2.petrov")
    (item,) = client.get("/api/v1/identities/ledger", headers=auth(store, "analyst-a1")).json()[
        "items"
    ]
    assert "b2.petrov" not in str(item)
    assert {(i["id"], i["hidden"]) for i in item["before"]} == {("I1", 0), ("I2", 1)}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    owner=st.sampled_from(["analyst-a1", "analyst-b2", "analyst-c3", "vs-a1"]),
    stranger=st.sampled_from(["analyst-a1", "analyst-b2", "analyst-c3", "vs-a1"]),
)
def test_another_view_cannot_see_or_undo_an_entry(
    client: TestClient, store: Store, owner: str, stranger: str
) -> None:
    if owner == stranger:
        stranger = "analyst-c3" if owner != "analyst-c3" else "analyst-b2"
    mine = store.viewer(owner)
    tag = f"{owner.replace('-', '')}x{len(store.audit_entries())}"
    left, right = f"{mine.agency.lower()}.{tag}l", f"{mine.agency.lower()}.{tag}r"
    add(store, mine, left, "all", name="Ivan Petrov")  # shared with everyone: only the
    add(store, mine, right, "all", name="Ivan Petrow")  # view keeps the entry from others
    scope = ledger.scope_of(mine)
    ledger.record(store, scope, {left: f"I-{tag}-1", right: f"I-{tag}-2"}, replace=False)
    (seq,) = ledger.record(store, scope, {left: f"I-{tag}-1", right: f"I-{tag}-1"}, replace=False)
    theirs = auth(store, stranger)
    listed = client.get("/api/v1/identities/ledger?limit=200", headers=theirs).json()["items"]
    assert seq not in [e["seq"] for e in listed]
    assert client.get(f"/api/v1/identities/ledger/{seq}", headers=theirs).status_code == 404
    refused = client.post(f"/api/v1/identities/ledger/{seq}/undo", headers=theirs)
    assert refused.status_code == 404 and refused.json()["field"] == "seq"
    assert ledger.membership(store, scope)[right] == f"I-{tag}-1"  # nothing undone
    assert ledger.entry(store, scope, seq).undone_by is None  # type: ignore[union-attr]
    ours = auth(store, owner)
    assert client.get(f"/api/v1/identities/ledger/{seq}", headers=ours).status_code == 200
