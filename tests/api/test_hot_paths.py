"""The hot screening routes (issue 18): orjson answers with the declared shape, the audit
row written before the answer, no leak through the fast path, and the frozen heap."""

from __future__ import annotations

import gc
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.api.heap import build_once, freeze_after_build
from palermo.api.screening_routes import CandidateOut, DocumentOut
from palermo.match.service import IndexCache
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import audit
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies

DOC = "/api/v1/screening/document"
PERSON = "/api/v1/screening/person"
_ids = itertools.count()


def report(agency: str, local_id: str, number: str, sharing: Sharing) -> list[Statement]:
    eid = f"{agency.lower()}.{local_id}"
    return [
        Statement(eid, "DocumentReport", BASE, eid, agency, local_id, sharing),
        Statement(eid, "DocumentReport", "documentNumber", number, agency, local_id, sharing),
        Statement(eid, "DocumentReport", "reportStatus", "stolen", agency, local_id, sharing),
    ]


@pytest.fixture
def setup(store: Store) -> Iterator[tuple[TestClient, dict[str, Viewer], dict[str, str]]]:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    token = store.create_token(SYSTEM, "analyst-a1", "test")
    with TestClient(create_app(store, rate_limit=0)) as client:
        yield client, viewers, {"Authorization": f"Bearer {token}"}


def actions(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [(e.action, e.target) for e in audit.entries(conn)]


def test_hot_answers_have_the_declared_shape_and_are_audited_first(
    store: Store, setup: tuple[TestClient, dict[str, Viewer], dict[str, str]]
) -> None:
    client, viewers, headers = setup
    share = Sharing.parse("all")
    store.write(viewers["B2"], person("B2", "p1", share, name="Ivan Petrenko"))
    store.write(viewers["B2"], report("B2", "d1", "L898902C3", share))

    doc = client.post(DOC, json={"number": "L898902C3"}, headers=headers)
    assert doc.status_code == 200 and doc.headers["content-type"] == "application/json"
    answer = DocumentOut.model_validate(doc.json())
    assert (answer.status, answer.agencies) == ("stolen", ["B2"])
    assert ("screen.document", "L898902C3") in actions(store)

    found = client.post(PERSON, json={"name": "IVAN PETRENKO"}, headers=headers)
    assert found.status_code == 200 and found.headers["content-type"] == "application/json"
    candidates = TypeAdapter(list[CandidateOut]).validate_python(found.json())
    assert [c.id for c in candidates] == ["b2.p1"]
    assert candidates[0].features and candidates[0].agency == "B2"
    assert ("screen.person", "IVAN PETRENKO") in actions(store)


def test_bad_input_on_a_hot_route_names_the_field(
    setup: tuple[TestClient, dict[str, Viewer], dict[str, str]],
) -> None:
    client, _, headers = setup
    answer = client.post(DOC, json={"number": ""}, headers=headers)
    assert answer.status_code == 422 and "number" in answer.text


def name_of(run: int, n: int) -> str:
    """A distinct name per record, in letters only (digits are not name evidence)."""
    letters = "".join("bcdfghjklmnpqrstvwz"[int(d)] for d in f"{run:03d}{n}")
    return f"Zarko Qu{letters}ovic"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shared=st.lists(st.booleans(), min_size=1, max_size=4))
def test_fast_path_never_shows_an_unshared_record(
    store: Store,
    setup: tuple[TestClient, dict[str, Viewer], dict[str, str]],
    shared: list[bool],
) -> None:
    """B2's reports and persons, some shared with all, some not: A1's orjson answers name
    exactly the shared ones."""
    client, viewers, headers = setup
    run = next(_ids)
    numbers, names = {}, {}
    for n, is_shared in enumerate(shared):
        sharing = Sharing.parse("all" if is_shared else "owner")
        local = f"r{run}x{n}"
        numbers[f"N{run}X{n}"] = is_shared
        names[f"b2.{local}"] = is_shared
        store.write(viewers["B2"], report("B2", local, f"N{run}X{n}", sharing))
        store.write(viewers["B2"], person("B2", local, sharing, name=name_of(run, n)))
    for number, is_shared in numbers.items():
        answer = client.post(DOC, json={"number": number}, headers=headers).json()
        assert answer["status"] == ("stolen" if is_shared else "clear")
        assert answer["agencies"] == (["B2"] if is_shared else [])
    unshared = {i for i, ok in names.items() if not ok}
    for n in range(len(shared)):
        body = {"name": name_of(run, n).upper()}
        answer = client.post(PERSON, json=body, headers=headers)
        assert answer.status_code == 200
        assert not {c["id"] for c in answer.json()} & unshared


def test_a_built_index_is_frozen_and_dropping_one_leaves_no_cyclic_garbage(
    store: Store,
) -> None:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    share = Sharing.parse("all")
    for n in range(30):
        store.write(viewers["B2"], person("B2", f"p{n}", share, name=f"Olena Kovalenko {n}"))
    before = gc.get_freeze_count()
    try:
        index = freeze_after_build(lambda: IndexCache(store).for_viewer(viewers["A1"]))
        assert gc.get_freeze_count() > before
        gc.unfreeze()
        gc.collect()
        del index
        assert gc.collect() == 0  # the index was freed by reference counting alone
    finally:
        gc.unfreeze()


def test_concurrent_misses_build_the_index_once() -> None:
    built: list[object] = []
    box: list[object] = []
    gate = threading.Barrier(8)

    def build() -> object:
        time.sleep(0.05)
        built.append(object())
        box.append(built[-1])
        return built[-1]

    def request() -> object:
        gate.wait()
        return build_once(lambda: box[0] if box else None, build)

    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: request(), range(8)))
    finally:
        gc.unfreeze()
    assert len(built) == 1 and all(a is built[0] for a in answers)
