"""Thread hand-offs on the screening routes (issue 18): a document check, hit or miss,
takes no thread of the pool per request (its purpose dependency is async, its audit row
and hit notices are waited for on the event loop), and the CSV manifest screens in a
thread, so the event loop keeps answering other requests while a large manifest runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api import screening_routes
from palermo.api.app import create_app
from palermo.match import manifest as manifests
from palermo.model.sharing import Sharing
from palermo.store import audit
from palermo.store.store import Store
from tests.api.test_hot_paths import report
from tests.store.factories import SYSTEM, setup_agencies

DOC = "/api/v1/screening/document"
Setup = tuple[TestClient, dict[str, Viewer], dict[str, str]]


@pytest.fixture
def setup(store: Store) -> Iterator[Setup]:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    token = store.create_token(SYSTEM, "analyst-a1", "test")
    with TestClient(create_app(store, rate_limit=0)) as client:
        yield client, viewers, {"Authorization": f"Bearer {token}"}


def _count_pool_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every `run_in_threadpool` FastAPI (dependencies, plain-def routes) and the
    screening routes make, by the name of the function handed to the pool."""
    import fastapi.dependencies.utils as dependencies
    import fastapi.routing as routing
    from starlette.concurrency import run_in_threadpool

    calls: list[str] = []

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(func, "__name__", repr(func)))
        return await run_in_threadpool(func, *args, **kwargs)

    for module in (dependencies, routing, screening_routes):
        monkeypatch.setattr(module, "run_in_threadpool", counted)
    return calls


def test_a_document_check_takes_no_pool_thread_and_is_still_audited(
    store: Store, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, viewers, headers = setup
    store.write(viewers["B2"], report("B2", "d1", "L898902C3", Sharing.parse("all")))
    assert client.post(DOC, json={"number": "X1"}, headers=headers).status_code == 200  # warm
    calls = _count_pool_calls(monkeypatch)
    with_purpose = {**headers, "Palermo-Purpose": "investigation"}
    hit = client.post(DOC, json={"number": "L898902C3", "purpose": "case 7"}, headers=with_purpose)
    miss = client.post(DOC, json={"number": "NOPE"}, headers=headers)
    assert (hit.status_code, miss.status_code) == (200, 200)
    assert (hit.json()["status"], miss.json()["status"]) == ("stolen", "clear")
    assert calls == []
    with store.engine.connect() as conn:
        rows = [(e.action, e.target) for e in audit.entries(conn)]
    assert ("screen.document", "L898902C3") in rows and ("screen.document", "NOPE") in rows
    assert ("hit.notice", "b2.d1") in rows
    bad = client.post(DOC, json={"number": "X"}, headers={**headers, "Palermo-Purpose": "fun"})
    assert bad.status_code == 400 and "Palermo-Purpose" in bad.text


def test_a_csv_manifest_screens_in_a_thread_not_on_the_event_loop(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a CSV manifest's screening is held, another request is answered: the loop is
    free. (Screened on the loop, /me would wait until the held screening gave up.)"""
    client, _, headers = setup
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    screen = manifests.screen_manifest

    def held(*args: Any, **kwargs: Any) -> manifests.ManifestResult:
        started.set()
        release.wait(20)
        finished.set()
        return screen(*args, **kwargs)

    monkeypatch.setattr(manifests, "screen_manifest", held)
    answers: list[int] = []

    def post_manifest() -> None:
        body = b"name,birth_date\nIvan Petrenko,1983-04-12\n"
        answers.append(
            client.post("/api/v1/screening/manifest.csv", content=body, headers=headers).status_code
        )

    poster = threading.Thread(target=post_manifest)
    poster.start()
    try:
        assert started.wait(20), "the manifest's screening never started"
        me = client.get("/api/v1/me", headers=headers)
        answered_while_held = not finished.is_set()
    finally:
        release.set()
        poster.join(30)
    assert me.status_code == 200 and answered_while_held
    assert answers == [200]
