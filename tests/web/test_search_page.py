"""The search page and API over the index (issue 16): facets as filter links, pages, and
identifiers typed in another format; the page shows what Store.search shows the user."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies

EU = Sharing.parse("group:EU")


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    for n in range(30):
        owner = "A1" if n % 3 else "B2"
        store.write(
            viewers[owner],
            person(
                owner, f"p{n:02d}", EU, name=f"Olga Berg{n:02d}", country="ru" if n < 10 else "ua"
            ),
        )
    store.write(
        viewers["A1"], person("A1", "doc", EU, name="Nadia Haddad", passportNumber="YF9732979")
    )
    store.write(viewers["A1"], person("A1", "own", Sharing.owner_only(), name="Olga Bergmann"))
    store.add_user(SYSTEM, "bea", "B2", "analyst", password="pw-bea")
    with TestClient(create_app(store)) as client:
        login(client)
        yield client


def login(client: TestClient) -> None:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    form = {"username": "bea", "password": "pw-bea", "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def links(page: str) -> dict[str, str]:
    """Link text -> href of the page's anchors (HTML-unescaped)."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', page)
    return {html.unescape(text): html.unescape(href) for href, text in found}


def result_ids(page: str) -> list[str]:
    return re.findall(r"<code>([^<]+)</code>", page)


def test_facets_are_filter_links_and_pages_cover_the_matches(client: TestClient) -> None:
    first = client.get("/search", params={"q": "berg"}).text
    assert "30 results" in first  # a1.own (owner-only) is not counted for B2
    anchors = links(first)
    assert "Russia" in anchors and "Ukraine" in anchors and "B2" in anchors
    assert "(10)" in first and "(20)" in first  # ru 10, ua 20 (and A1 20, B2 10)
    seen = result_ids(first)
    assert len(seen) == 25
    second = client.get(anchors["Next page"]).text
    seen += result_ids(second)
    assert sorted(seen) == sorted({*seen}) and len(seen) == 30
    assert "Previous page" in links(second)

    russia = client.get(anchors["Russia"]).text
    assert "10 results" in russia
    assert all(int(i[-2:]) < 10 for i in result_ids(russia))
    assert "Any country" in links(russia)
    both = client.get(links(russia)["B2"]).text  # a second facet keeps the first
    assert "4 results" in both  # p00, p03, p06, p09


def test_a_document_number_typed_with_spaces_finds_the_person(client: TestClient) -> None:
    page = client.get("/search", params={"q": "yf 973 2979"}).text
    assert result_ids(page) == ["a1.doc"] and "Nadia Haddad" in page


def test_bad_filters_are_shown_not_raised(client: TestClient) -> None:
    page = client.get("/search", params={"q": "berg", "schema": "Alien"})
    assert page.status_code == 200 and "schema: no schema named" in page.text


def test_api_search_pages_and_facets(client: TestClient, store: Store) -> None:
    token = store.create_token(SYSTEM, "bea", "test")
    headers = {"Authorization": f"Bearer {token}"}
    plain = client.get("/api/v1/search", params={"q": "berg", "limit": 5}, headers=headers)
    assert plain.status_code == 200 and len(plain.json()) == 5
    assert plain.headers["X-Total-Count"] == "30"
    body = client.get(
        "/api/v1/search",
        params={"q": "berg", "limit": 5, "offset": 25, "facets": "true", "country": "ua"},
        headers=headers,
    ).json()
    assert body["total"] == 20 and body["results"] == [] and body["next_offset"] is None
    assert {f["value"]: f["count"] for f in body["facets"]["country"]} == {"ua": 20}
    phone = client.get("/api/v1/search", params={"q": "YF-973-2979"}, headers=headers).json()
    assert [e["id"] for e in phone] == ["a1.doc"]
    bad = client.get("/api/v1/search", params={"q": "berg", "schema": "Alien"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "schema"
