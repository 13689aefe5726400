"""Many worker processes, one node: a write seen by one is reflected by every other's caches.

`palermo serve --workers 2` on PostgreSQL: each worker keeps its own screening index and
token cache; PostgreSQL LISTEN/NOTIFY tells the others when one writes (or revokes).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.api.served_workers import serving_workers
from tests.conftest import fresh_pg_database
from tests.store.factories import SYSTEM, person, setup_agencies

DB = f"palermo_workers_{os.getpid()}"
OLD, NEW = "Ivan Petrov", "Bogdan Sokolovsky"
REFLECTED_WITHIN = 1.0  # seconds (issue 18)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_pg_database(DB)  # its own database: the workers are other processes


def _names(client: httpx.Client, token: str, name: str) -> set[str]:
    answer = client.post(
        "/api/v1/screening/person",
        json={"name": name},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    return {n for candidate in answer.json() for n in candidate["names"]}


@pytest.mark.slow
def test_a_write_through_one_worker_reaches_every_workers_screening(
    pg_url: str, tmp_path: Path
) -> None:
    store = Store.open(pg_url)
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", Sharing(), name=OLD))
    token = store.create_token(SYSTEM, "analyst-a1", "workers")
    try:
        with serving_workers(pg_url, tmp_path, "--sync-interval", "0") as client:
            for _ in range(20):  # new connections spread over both workers: each builds an index
                with httpx.Client(base_url=client.base_url, timeout=10) as fresh:
                    assert OLD in _names(fresh, token, OLD)
            corrected = client.post(
                "/api/v1/entities/a1.p1/corrections",
                json={"action": "replace", "prop": "name", "value": OLD, "new_value": NEW},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert corrected.status_code == 200, corrected.text
            written = time.monotonic()
            time.sleep(REFLECTED_WITHIN)
            for _ in range(20):
                with httpx.Client(base_url=client.base_url, timeout=10) as fresh:
                    assert NEW in _names(fresh, token, NEW)
                    assert OLD not in _names(fresh, token, OLD)
            assert time.monotonic() - written < 30
    finally:
        store.close()


def test_token_revocation_reaches_the_other_process_cache(pg_url: str) -> None:
    writer, reader = Store.open(pg_url), Store.open(pg_url, upgrade=False)
    reader.listen_for_changes()
    try:
        setup_agencies(writer, {"A1": ()})
        token = writer.create_token(SYSTEM, "analyst-a1", "t")
        assert reader.feed is not None and reader.feed.listening.wait(5)
        assert reader.viewer_for_token(token) is not None  # now cached in the reader
        writer.revoke_tokens(SYSTEM, username="analyst-a1")
        deadline = time.monotonic() + REFLECTED_WITHIN
        while reader.cached_viewer(token) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reader.cached_viewer(token) is None
        assert reader.viewer_for_token(token) is None
    finally:
        if reader.feed is not None:
            reader.feed.stop()
        writer.close()
        reader.close()


def test_a_write_drops_the_other_process_caches_and_a_rollback_does_not(pg_url: str) -> None:
    writer, reader = Store.open(pg_url), Store.open(pg_url, upgrade=False)
    cleared: list[float] = []
    reader.write_listeners.append(lambda: cleared.append(time.monotonic()))
    reader.listen_for_changes()
    try:
        viewers = setup_agencies(writer, {"A1": ()})
        assert reader.feed is not None and reader.feed.listening.wait(5)
        cleared.clear()
        try:
            with writer.transaction() as conn:
                writer.write(viewers["A1"], person("A1", "p2", Sharing(), name=OLD), conn=conn)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        time.sleep(0.3)
        assert cleared == []  # nothing was committed, nothing to drop
        writer.write(viewers["A1"], person("A1", "p3", Sharing(), name=NEW))
        deadline = time.monotonic() + REFLECTED_WITHIN
        while not cleared and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cleared
    finally:
        if reader.feed is not None:
            reader.feed.stop()
        writer.close()
        reader.close()
