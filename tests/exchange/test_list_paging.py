"""`/notices` and `/messages` page like every other list (API and web pages).

The API answers `{results, limit, offset, next_offset}` (`next_offset` null on the last
page); walking the pages gives each entry once, in the order of the whole list. The web pages
show a page of rows with links to the previous and next page; a bad offset is one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.exchange import messages, notices
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.web import pages
from tests.store.factories import SYSTEM, person, setup_agencies

COUNT = 7


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    store.write(viewers["A1"], person("A1", "p1", Sharing.to_all(), name="Ivan Petrov"))
    chief = store.add_user(SYSTEM, "chief-a1", "A1", "officer,supervisor").viewer()
    for n in range(COUNT):
        notices.issue_notice(store, chief, "blue", "a1.p1", f"reason {n}", Sharing.to_all())
        messages.send_message(store, viewers["A1"], "B2", f"subject {n}", "body")
    store.add_user(SYSTEM, "bea", "B2", "analyst", password="pw-bea")
    with TestClient(create_app(store)) as client:
        yield client


def headers(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 'test')}"}


def walk(client: TestClient, path: str, auth: dict[str, str], limit: int) -> list[str]:
    """Every id over all pages, checking each page's contract on the way."""
    ids: list[str] = []
    offset: int | None = 0
    while offset is not None:
        answer = client.get(f"{path}?limit={limit}&offset={offset}", headers=auth)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["limit"] == limit and page["offset"] == offset
        assert 0 < len(page["results"]) <= limit
        ids += [e["id"] for e in page["results"]]
        offset = page["next_offset"]
        assert offset is None or offset == page["offset"] + limit
    return ids


@pytest.mark.parametrize("path", ["/api/v1/notices", "/api/v1/messages"])
def test_api_lists_page_through_everything_once(
    client: TestClient, store: Store, path: str
) -> None:
    auth = headers(store, "analyst-b2")
    everything = client.get(f"{path}?limit=500", headers=auth).json()
    assert everything["next_offset"] is None and len(everything["results"]) == COUNT
    whole = [e["id"] for e in everything["results"]]
    assert walk(client, path, auth, 3) == whole  # same entries, same order, none twice
    past = client.get(f"{path}?offset={COUNT}", headers=auth).json()
    assert past["results"] == [] and past["next_offset"] is None


def test_the_inbox_stays_newest_first_across_pages(client: TestClient, store: Store) -> None:
    auth = headers(store, "analyst-b2")
    ids = walk(client, "/api/v1/messages", auth, 2)
    viewer = store.viewer("analyst-b2")
    assert ids == [m.id for m in messages.inbox(store, viewer)]
    dates = [store.entity(viewer, i).first("date") for i in ids]  # type: ignore[union-attr]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=lots"])
def test_bad_paging_parameters_name_the_field(client: TestClient, store: Store, query: str) -> None:
    answer = client.get(f"/api/v1/notices?{query}", headers=headers(store, "analyst-b2"))
    assert answer.status_code == 422
    assert answer.json()["field"] == query.split("=")[0]


def login(client: TestClient) -> None:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    form = {"username": "bea", "password": "pw-bea", "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form).status_code in (200, 303)


@pytest.mark.parametrize(("path", "marker"), [("/notices", "reason "), ("/messages", "subject ")])
def test_web_list_pages_link_to_the_next_and_previous_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str, marker: str
) -> None:
    monkeypatch.setattr(pages, "WEB_PAGE", 3)
    login(client)
    seen: list[str] = []
    offset = 0
    while True:
        text = client.get(f"{path}?offset={offset}").text
        shown = re.findall(rf"{marker}\d", text)
        assert 0 < len(shown) <= 3
        seen += shown
        assert ('rel="prev"' in text) == (offset > 0)
        following = re.search(r'rel="next" href="\?offset=(\d+)"', text)
        if following is None:
            break
        offset = int(following.group(1))
        assert offset == len(seen)
    assert sorted(seen) == sorted(f"{marker}{n}" for n in range(COUNT))


def test_web_list_page_refuses_a_bad_offset(client: TestClient) -> None:
    login(client)
    answer = client.get("/messages?offset=banana")
    assert answer.status_code == 422
    assert "offset: &#39;banana&#39; is not a whole number" in answer.text
