"""A screening that hits another agency's record commits its own audit row and its hit
notices in one transaction (ADR 0052, amendment): the row comes first, the notices' rows
right after it, and if that transaction fails the screening answers an error, never an
answer without its audit row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import hit_notices
from palermo.model.sharing import Sharing
from palermo.store import audit
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.api.test_hot_paths import DOC, PERSON, report
from tests.store.factories import SYSTEM, person, setup_agencies

Setup = tuple[TestClient, dict[str, Viewer], dict[str, str]]


@pytest.fixture
def setup(store: Store) -> Iterator[Setup]:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    share = Sharing.parse("all")
    store.write(viewers["B2"], report("B2", "d1", "L898902C3", share))
    store.write(viewers["B2"], person("B2", "p1", share, name="Ivan Petrenko"))
    store.write(viewers["A1"], report("A1", "d2", "X1234567", share))
    token = store.create_token(SYSTEM, "analyst-a1", "test")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(store, rate_limit=0)) as client:
        client.post(DOC, json={"number": "WARM"}, headers=headers)  # builds the index
        yield client, viewers, headers


def _tail(store: Store, since: int) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [(e.action, e.target) for e in audit.entries(conn, since)]


def _head(store: Store) -> int:
    with store.engine.connect() as conn:
        return max((e.seq for e in audit.entries(conn)), default=0)


def _commits(store: Store) -> list[int]:
    """Counts the store's transactions while the test runs (one entry per commit)."""
    seen: list[int] = []
    sa.event.listen(store.engine, "commit", lambda conn: seen.append(1))
    return seen


def test_a_hit_is_audited_and_notified_in_one_commit(store: Store, setup: Setup) -> None:
    client, _, headers = setup
    since = _head(store)
    commits = _commits(store)
    asked = {"number": "L898902C3", "purpose": "border check"}
    answer = client.post(DOC, json=asked, headers=headers)
    assert answer.status_code == 200 and answer.json()["status"] == "stolen"
    assert _tail(store, since) == [("screen.document", "L898902C3"), ("hit.notice", "b2.d1")]
    assert len(commits) == 1

    since = _head(store)
    found = client.post(PERSON, json={"name": "IVAN PETRENKO"}, headers=headers)
    assert [c["id"] for c in found.json()] == ["b2.p1"]
    assert _tail(store, since) == [("screen.person", "IVAN PETRENKO"), ("hit.notice", "b2.p1")]
    assert len(commits) == 2


def test_a_miss_or_an_own_hit_is_audited_alone(store: Store, setup: Setup) -> None:
    client, _, headers = setup
    since = _head(store)
    for number in ("NOPE0000", "X1234567"):  # nothing found; A1's own report
        assert client.post(DOC, json={"number": number}, headers=headers).status_code == 200
    alone = [("screen.document", "NOPE0000"), ("screen.document", "X1234567")]
    assert _tail(store, since) == alone
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(hit_notice)).scalar() == 0


def test_a_failed_notice_write_answers_an_error_and_audits_nothing(
    store: Store, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, headers = setup
    since = _head(store)

    def broken(*args: object) -> dict[object, int]:
        raise sa.exc.OperationalError("INSERT", {}, Exception("the disk is full"))

    monkeypatch.setattr(hit_notices, "_insert_new", broken)
    with pytest.raises(sa.exc.OperationalError):
        client.post(DOC, json={"number": "L898902C3"}, headers=headers)
    assert _tail(store, since) == []  # rolled back together: no answer went out either
