"""The review page and API (issue 15): the borderline pair is listed with both records'
values; confirming through the page takes it off and merges the identities; undo splits
them again; a POST without the CSRF token is refused; a bad judgement names the field; the
API lists the same queue. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.api.app import create_app
from palermo.store.store import Store
from tests.analysis.test_review import world as review_world
from tests.store.factories import SYSTEM
from tests.web.test_profile import login


@pytest.fixture
def setup(store: Store) -> Iterator[tuple[TestClient, dict[str, Viewer], str, str]]:
    v, left, right = review_world(store)
    store.add_user(SYSTEM, "ana", "A", "analyst", password="pw-ana")
    store.add_user(SYSTEM, "cho", "C", "analyst", password="pw-cho")
    with TestClient(create_app(store)) as client:
        yield client, v, left, right


def test_page_lists_confirm_and_undo(
    store: Store, setup: tuple[TestClient, dict[str, Viewer], str, str]
) -> None:
    client, v, left, right = setup
    csrf = login(client, "ana")
    html = client.get("/review").text
    assert left in html and right in html
    assert "1980-02-03" in html and "1981-02-03" in html
    form = {"left": left, "right": right, "judgement": "confirm", "csrf_token": csrf}
    response = client.post("/review/judge", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert left not in client.get("/review").text
    merged = review.identities(store, v["A"])
    assert merged[left] == merged[right]
    undo = {"left": left, "right": right, "judgement": "undo", "csrf_token": csrf}
    assert client.post("/review/judge", data=undo, follow_redirects=False).status_code == 303
    split = review.identities(store, v["A"])
    assert split[left] != split[right]
    assert left in client.get("/review").text


def test_missing_csrf_is_refused(
    store: Store, setup: tuple[TestClient, dict[str, Viewer], str, str]
) -> None:
    client, v, left, right = setup
    login(client, "ana")
    form = {"left": left, "right": right, "judgement": "confirm"}
    response = client.post("/review/judge", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_token" in response.text
    assert review.identities(store, v["A"])[left] != review.identities(store, v["A"])[right]


def test_bad_judgement_names_the_field(
    setup: tuple[TestClient, dict[str, Viewer], str, str],
) -> None:
    client, _, left, right = setup
    csrf = login(client, "ana")
    form = {"left": left, "right": right, "judgement": "maybe", "csrf_token": csrf}
    response = client.post("/review/judge", data=form)
    assert response.status_code == 400
    assert "judgement: &#39;maybe&#39; is not one of" in response.text


def test_outsider_sees_nothing_and_cannot_judge(
    setup: tuple[TestClient, dict[str, Viewer], str, str],
) -> None:
    client, _, left, right = setup
    csrf = login(client, "cho")  # agency C is not in the EU group
    assert left not in client.get("/review").text
    form = {"left": left, "right": right, "judgement": "confirm", "csrf_token": csrf}
    response = client.post("/review/judge", data=form)
    assert response.status_code == 400
    assert "left/right" in response.text


def test_api_lists_the_queue(
    store: Store, setup: tuple[TestClient, dict[str, Viewer], str, str]
) -> None:
    client, _, left, right = setup
    token = store.create_token(SYSTEM, "ana", "test")
    body = client.get("/api/v1/review", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["total"] == 1
    assert {body["items"][0]["left"], body["items"][0]["right"]} == {left, right}
    outsider = store.create_token(SYSTEM, "cho", "test")
    empty = client.get("/api/v1/review", headers={"Authorization": f"Bearer {outsider}"}).json()
    assert empty["total"] == 0
