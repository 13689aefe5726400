"""Records resolved on arrival (issue 15): an import into a running app, and a sync batch
received by a running node, are resolved against the view's identities by the serving
process's resolvers without anyone running a batch resolve; the identity ids stay
stable; a view only ever holds records it may see (property test, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from palermo.api.app import create_app
from palermo.exchange.sync import sync_all
from palermo.ingest import import_file
from palermo.match import arrival_claim, arrivals, ledger
from palermo.store.store import Store
from tests.api.test_api import auth
from tests.conftest import wipe
from tests.exchange.nodes import direct_transport, make_federation
from tests.match.test_resolution import add
from tests.store.factories import setup_agencies

PETROV = {"name": ["Ivan Petrov"], "birthDate": ["1980-02-03"], "passportNumber": ["XK1234567"]}
PETROV_AGAIN = {
    "name": ["PETROV Ivan"],
    "birthDate": ["1980-02-03"],
    "passportNumber": ["XK 1234567"],
}


@pytest.fixture
def running(store: Store) -> Iterator[tuple[TestClient, arrivals.Arrivals]]:
    setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    registry = arrivals.start(store)
    try:
        with TestClient(create_app(store)) as client:
            yield client, registry
    finally:
        arrivals.stop(store)


def write_ftm(path: Path, rows: list[tuple[str, dict[str, list[str]]]]) -> Path:
    lines = [json.dumps({"id": i, "schema": "Person", "properties": p}) for i, p in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def identity(client: TestClient, store: Store, user: str, record: str) -> dict[str, object]:
    response = client.get(f"/api/v1/identities/of/{record}", headers=auth(store, user))
    assert response.status_code == 200, response.text
    found: dict[str, object] = response.json()
    return found


def members(found: dict[str, object]) -> set[str]:
    records = found["records"]
    assert isinstance(records, list)
    return {m["id"] for m in records}


def test_an_import_into_a_running_app_is_resolved_on_arrival(
    running: tuple[TestClient, arrivals.Arrivals], store: Store, tmp_path: Path
) -> None:
    client, registry = running
    analyst = store.viewer("analyst-a1")
    first = import_file(store, analyst, write_ftm(tmp_path / "one.json", [("p1", PETROV)]))
    assert first.committed
    assert registry.wait(120)
    before = identity(client, store, "analyst-a1", "a1.p1")
    assert members(before) == {"a1.p1"}
    scope = ledger.scope_of(analyst)
    built = registry.resolvers[scope].resolver  # the view's first arrival built it

    second = import_file(store, analyst, write_ftm(tmp_path / "two.json", [("p2", PETROV_AGAIN)]))
    assert second.committed
    assert registry.wait(120)
    after = identity(client, store, "analyst-a1", "a1.p2")
    assert after["id"] == before["id"]  # joined the identity, whose id stayed
    assert members(after) == {"a1.p1", "a1.p2"}
    assert registry.resolvers[scope].resolver is built  # incremental, not rebuilt
    assert "a1.p2" in built.records
    # no batch resolve was asked for: the ledger holds no entry (a join merges nothing)
    assert (
        client.get("/api/v1/identities/ledger", headers=auth(store, "analyst-a1")).json()["total"]
        == 0
    )

    # another agency cannot learn of the record, nor of its identity
    other = client.get("/api/v1/identities/of/a1.p1", headers=auth(store, "analyst-b2"))
    assert other.status_code == 404


def test_a_received_sync_batch_is_resolved_on_arrival(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    registry = arrivals.start(nl.store)
    try:
        with TestClient(create_app(nl.store)) as client:
            scope = ledger.scope_of(nl.analyst)
            add(nl.store, nl.analyst, "nl-kmar.p1", "owner", name="PETROV Ivan",
                birthDate="1980-02-03", passportNumber="XK 1234567")  # fmt: skip
            assert registry.wait(120)
            mine = identity(client, nl.store, nl.analyst.username, "nl-kmar.p1")
            built = registry.resolvers[scope].resolver

            add(de.store, de.analyst, "de-bka.p9", "group:EU", name="Ivan Petrov",
                birthDate="1980-02-03", passportNumber="XK1234567")  # fmt: skip
            sync_all(de.store, direct_transport(nodes))
            assert registry.wait(120)
            theirs = identity(client, nl.store, nl.analyst.username, "de-bka.p9")
            assert theirs["id"] == mine["id"]
            assert members(theirs) == {"nl-kmar.p1", "de-bka.p9"}
            assert registry.resolvers[scope].resolver is built
    finally:
        arrivals.stop(nl.store)
        for node in nodes.values():
            node.store.close()


SHARINGS = ("owner", "group:EU", "all", "B2")


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shares=st.lists(
        st.tuples(st.sampled_from(("A1", "B2")), st.sampled_from(SHARINGS)),
        min_size=2,
        max_size=5,
    )
)
def test_a_view_resolved_on_arrival_holds_only_what_it_may_see(
    store: Store, shares: list[tuple[str, str]]
) -> None:
    """Records of one man written by two agencies with random sharing, arriving one by
    one: every view's identities hold exactly the records its viewer may read."""
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ()})
    registry = arrivals.start(store)
    try:
        for n, (agency, sharing) in enumerate(shares):
            eid = f"{agency.lower()}.p{n}"
            add(store, viewers[agency], eid, sharing, name="Ivan Petrov",
                passportNumber="XK1234567")  # fmt: skip
            registry.submit([eid], [agency])
            assert registry.wait(120)
        for agency, viewer in viewers.items():
            scope = ledger.scope_of(viewer)
            held = set(ledger.membership(store, scope))
            visible = {e.id for e in store.entities(viewer, schema="Person", limit=100)}
            assert held == visible, (agency, shares)
            assert len(set(ledger.membership(store, scope).values())) <= 1  # one man
    finally:
        arrivals.stop(store)


def test_a_range_past_the_bound_rebuilds_the_view_instead_of_queueing(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",)})
    host = arrivals.Arrivals(store, queue_max=2)  # not started: polled by hand
    host.open_views()
    with store.engine.connect() as conn:
        start = arrival_claim.feed_head(conn)
    for n, name in enumerate(("Ivan Petrov", "Olga Sidorova", "Pyotr Ivanov")):
        add(store, viewers["A1"], f"a1.p{n}", "owner", name=name)
    with store.engine.connect() as conn:
        end = arrival_claim.feed_head(conn)
    assert host.arrived(start, end) == ([], True)  # three entities, two allowed: none held
    roomy = arrivals.Arrivals(store, queue_max=3)
    assert roomy.arrived(start, end) == (["a1.p0", "a1.p1", "a1.p2"], False)
    assert host.poll_once() == 1
    (claim,) = host.claimed
    assert claim.overflow and claim.ids == ()
    held = host.resolvers["A1|plain"].resolver  # rebuilt: it holds every record all the same
    assert {"a1.p0", "a1.p1", "a1.p2"} <= set(held.records)


def test_a_process_without_a_host_ignores_announcements(store: Store) -> None:
    setup_agencies(store, {"A1": ("EU",)})
    arrivals.announce(store, "A1", ["a1.x"])  # a CLI import: nothing is started or queued
    assert arrivals.running(store) is None
