"""The REST API and web pages show exactly what the store shows the caller."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, aliases_of, person, setup_agencies


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    store.write(viewers["A1"], person("A1", "p1", Sharing.parse("group:EU"), name="Ivan Petrov"))
    store.write(viewers["A1"], person("A1", "p2", Sharing.parse("owner"), name="Anna Berg"))
    store.write(
        viewers["A1"],
        person("A1", "v1", Sharing.parse("all", ["victim-sensitive"]), name="Mai Tran"),
    )
    with TestClient(create_app(store)) as client:
        yield client


def auth(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 'test')}"}


def test_entities_are_filtered_by_agency(client: TestClient, store: Store) -> None:
    # a1.v1 is all masked for analysts, so it is listed under its alias (finding 3).
    alias = aliases_of(store)["a1.v1"]
    own = client.get("/api/v1/entities", headers=auth(store, "analyst-a1")).json()
    assert [e["id"] for e in own["results"]] == ["a1.p1", "a1.p2", alias]
    partner = client.get("/api/v1/entities", headers=auth(store, "analyst-b2")).json()
    assert [e["id"] for e in partner["results"]] == ["a1.p1", alias]
    outsider = client.get("/api/v1/entities", headers=auth(store, "analyst-c3")).json()
    assert [e["id"] for e in outsider["results"]] == [alias]
    victim = outsider["results"][0]["properties"]["name"][0]
    assert victim["masked"] and victim["value"] == "[masked]"
    assert victim["sharing"] == "all|victim-sensitive" and victim["agency"] == "A1"


def test_unshared_entity_is_a_404_problem(client: TestClient, store: Store) -> None:
    response = client.get("/api/v1/entities/a1.p2", headers=auth(store, "analyst-b2"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "entity_id"


def test_no_token_is_401_and_bad_parameters_name_the_field(
    client: TestClient, store: Store
) -> None:
    assert client.get("/api/v1/entities").status_code == 401
    bad = client.get("/api/v1/entities?limit=0", headers=auth(store, "analyst-a1"))
    assert bad.status_code == 422 and bad.json()["field"] == "limit"
    schema = client.get("/api/v1/entities?schema=Alien", headers=auth(store, "analyst-a1"))
    assert schema.status_code == 400 and schema.json()["field"] == "schema"


def test_pagination(client: TestClient, store: Store) -> None:
    headers = auth(store, "analyst-a1")
    first = client.get("/api/v1/entities?limit=2", headers=headers).json()
    assert len(first["results"]) == 2 and first["next_offset"] == 2
    rest = client.get("/api/v1/entities?limit=2&offset=2", headers=headers).json()
    assert len(rest["results"]) == 1 and rest["next_offset"] is None


def test_openapi_is_published_to_signed_in_users(client: TestClient, store: Store) -> None:
    assert client.get("/openapi.json").status_code == 401  # review finding 29
    spec = client.get("/openapi.json", headers=auth(store, "analyst-a1")).json()
    assert "/api/v1/entities/{entity_id}" in spec["paths"]


def test_web_login_search_and_entity_page(client: TestClient, store: Store) -> None:
    store.add_user(SYSTEM, "bea", "B2", "analyst", password="pw-bea")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None  # every form carries its CSRF token (review finding 19)
    wrong = {"username": "bea", "password": "nope", "csrf_token": csrf.group(1)}
    assert client.post("/login", data=wrong).status_code == 401
    client.post("/login", data={**wrong, "password": "pw-bea"})
    page = client.get("/search?q=petrov")
    assert "Ivan Petrov" in page.text
    assert "Anna Berg" not in client.get("/search?q=berg").text
    entity = client.get("/entities/a1.p1")
    assert entity.status_code == 200 and "group:EU" in entity.text
    assert client.get("/entities/a1.p2").status_code == 404
