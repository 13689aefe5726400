"""The identity profile (issue 16): a person page that shows every agency's record of the
same resolved identity the viewer may see, names by script, documents with their checks,
relations, a timeline, cases, and the subscribe and export actions; never a record,
value or link the viewer may not see. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import cases
from palermo.exchange import alerts
from palermo.ingest.build import write_entity
from palermo.model.indicators import indicators
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.world.mrz import td3
from tests.store.factories import SYSTEM, setup_agencies

EU = Sharing.parse("group:EU")
EU_VICTIM = Sharing.parse("group:EU|victim-sensitive")
OWNER = Sharing.owner_only()
PASSPORT = "X1234567"
HIDDEN_ADDRESS = "12 Hidden Shelter Road"
UNSHARED_ALIAS = "Ivan the Unshared"
MRZ = "\n".join(td3("UTO", "Petrov", "Ivan", PASSPORT, "UTO", "1980-02-03", "M", "2031-01-01"))


def people(store: Store, v: dict[str, Viewer]) -> None:
    """One man recorded by three agencies (A1 shares with the EU group, B2 keeps its own,
    C3 shares with nobody) plus enough namesakes-free persons for the resolver."""
    same = {"name": "Ivan Petrov", "birthDate": "1980-02-03", "passportNumber": PASSPORT}
    write_entity(store, v["A1"], "Person", {**same, "alias": "Иван Петров"}, EU, "a1.p1")
    write_entity(store, v["A1"], "Person", {"address": HIDDEN_ADDRESS}, EU_VICTIM, "a1.p1")
    write_entity(store, v["B2"], "Person", same, OWNER, "b2.p1")
    write_entity(store, v["C3"], "Person", {**same, "alias": UNSHARED_ALIAS}, OWNER, "c3.p1")
    others = ["Olga Berg", "Maria Lopez", "Chen Wei", "Amina Yusuf", "Pieter de Vries"]
    for n, name in enumerate(others):
        birth = f"19{70 + n}-0{n + 1}-1{n}"
        write_entity(store, v["A1"], "Person", {"name": name, "birthDate": birth}, EU, f"a1.o{n}")


def links(store: Store, v: dict[str, Viewer]) -> str:
    """A passport with its MRZ reported stolen, a recruiter, a trip, a case; returns the
    case id."""
    write_entity(
        store,
        v["A1"],
        "Passport",
        {"number": PASSPORT, "holder": "a1.p1", "country": "de", "summary": MRZ},
        EU,
        "a1.doc1",
    )
    write_entity(
        store,
        v["A1"],
        "DocumentReport",
        {"document": "a1.doc1", "documentNumber": PASSPORT, "reportStatus": "stolen"},
        EU,
        "a1.rep1",
    )
    write_entity(
        store,
        v["A1"],
        "Associate",
        {"person": "a1.p1", "associate": "a1.o0", "relationship": "recruited-by"},
        EU,
        "a1.as1",
    )
    write_entity(
        store,
        v["B2"],
        "BorderCrossing",
        {"traveller": "b2.p1", "date": "2024-05-01", "crossingPoint": "Schiphol"},
        OWNER,
        "b2.bc1",
    )
    write_entity(
        store,
        v["C3"],
        "Associate",
        {"person": "c3.p1", "associate": "c3.p1", "relationship": "unshared-link"},
        OWNER,
        "c3.as1",
    )
    return cases.open_case(store, v["B2"], "B2-2026-1", "Petrov network", "sexual", ["b2.p1"])


@pytest.fixture
def world(store: Store) -> dict[str, object]:
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    people(store, v)
    case_id = links(store, v)
    store.add_user(SYSTEM, "bea", "B2", "analyst", password="pw-bea")
    store.add_user(SYSTEM, "vic", "B2", "analyst,victim-support", password="pw-vic")
    return {"case": case_id, "store": store}


@pytest.fixture
def app_client(world: dict[str, object]) -> Iterator[TestClient]:
    store = world["store"]
    assert isinstance(store, Store)
    app = create_app(store)
    app.state.profile_wait = 300  # the test waits for the resolver instead of the reload
    with TestClient(app) as client:
        yield client


def login(client: TestClient, user: str) -> str:
    """Log in; returns the session's CSRF token."""
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    form = {"username": user, "password": f"pw-{user}", "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token is not None
    return token.group(1)


class _Section(HTMLParser):
    """Collects the text inside the element with one id (nesting counted)."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.wanted, self.tag, self.depth, self.parts = element_id, "", 0, list[str]()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth and tag == self.tag:
            self.depth += 1
        elif not self.depth and not self.tag and ("id", self.wanted) in attrs:
            self.tag, self.depth = tag, 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == self.tag:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def section(page: str, element_id: str) -> str:
    """The text of the element with this id."""
    parser = _Section(element_id)
    parser.feed(page)
    assert parser.tag, f"no #{element_id} on the page"
    return " ".join(" ".join(parser.parts).split())


def test_the_profile_shows_shared_records_of_the_identity_never_unshared_ones(
    app_client: TestClient,
) -> None:
    login(app_client, "bea")
    page = app_client.get("/entities/b2.p1").text
    records = section(page, "records")
    assert "b2.p1" in records and "a1.p1" in records  # A1 shared its record with the EU group
    assert "c3.p1" not in page and UNSHARED_ALIAS not in page  # C3 shared nothing
    assert "A1" in records and "group:EU" in records  # agency and sharing per value
    assert "resolving" not in page


def test_victim_sensitive_values_are_masked_for_an_analyst_only(app_client: TestClient) -> None:
    token = login(app_client, "bea")
    page = app_client.get("/entities/a1.p1").text
    assert HIDDEN_ADDRESS not in page and "masked" in section(page, "records")
    app_client.post("/logout", data={"csrf_token": token})
    login(app_client, "vic")
    assert HIDDEN_ADDRESS in app_client.get("/entities/a1.p1").text


def test_names_documents_relations_timeline_and_cases_render(
    app_client: TestClient, world: dict[str, object]
) -> None:
    login(app_client, "bea")
    page = app_client.get("/entities/b2.p1").text
    names = section(page, "names")
    assert "Cyrillic" in names and "Иван Петров" in names and "ivan petrov" in names
    documents = section(page, "documents")
    assert PASSPORT in documents and "reported stolen" in documents
    assert "valid" in documents and "invalid" not in documents  # the stored MRZ
    relations = section(page, "relations")
    assert "Olga Berg" in relations and "recruited-by" in relations  # A1's link, via a1.p1
    assert "Schiphol" in relations  # B2's own crossing
    timeline = section(page, "timeline")
    assert timeline.index("1980-02-03") < timeline.index("2024-05-01")  # oldest first
    assert "Case opened" in timeline
    assert "B2-2026-1" in section(page, "cases")
    assert 'href="/entities/a1.o0"' in page  # relations link to the records
    label = indicators()["unodc-false-documents"]["label"]
    assert label in html.unescape(page)  # the stolen passport fires the indicator
    assert 'href="/entities/a1.rep1"' in page  # with its evidence


def test_export_returns_only_what_the_viewer_reads_unmasked(app_client: TestClient) -> None:
    login(app_client, "bea")
    response = app_client.get("/entities/a1.p1/export.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = json.loads(response.text)
    by_id = {e["id"]: e for e in data}
    assert by_id["a1.p1"]["properties"]["name"] == ["Ivan Petrov"]
    assert "address" not in by_id["a1.p1"]["properties"]  # masked: left out, not "[masked]"
    assert "[masked]" not in response.text and HIDDEN_ADDRESS not in response.text
    assert "a1.doc1" in by_id and "a1.as1" in by_id  # what points at the record
    assert "c3" not in response.text
    assert app_client.get("/entities/c3.p1/export.json").status_code == 404


def test_subscribing_needs_the_csrf_token(app_client: TestClient, world: dict[str, object]) -> None:
    store = world["store"]
    assert isinstance(store, Store)
    token = login(app_client, "bea")
    refused = app_client.post("/entities/a1.p1/subscribe", data={"kind": "entity"})
    assert refused.status_code == 403
    assert alerts.subscriptions_of(store, store.viewer("bea")) == []
    done = app_client.post(
        "/entities/a1.p1/subscribe",
        data={"kind": "entity", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    subs = alerts.subscriptions_of(store, store.viewer("bea"))
    assert [(s["kind"], s["value"]) for s in subs] == [("entity", "a1.p1")]
    assert 'id="subscribed"' in app_client.get("/entities/a1.p1").text
    hidden = app_client.post(
        "/entities/c3.p1/subscribe", data={"kind": "entity", "csrf_token": token}
    )
    assert hidden.status_code == 404  # an unshared record is "not found", not subscribable


def test_a_profile_that_cannot_wait_shows_the_record_and_says_so(
    world: dict[str, object],
) -> None:
    store = world["store"]
    assert isinstance(store, Store)
    app = create_app(store)
    app.state.profile_wait = 0  # the resolver has not finished: the page does not block
    with TestClient(app) as client:
        login(client, "bea")
        page = client.get("/entities/b2.p1").text
    assert 'id="resolving"' in page
    assert "b2.p1" in section(page, "records") and "c3.p1" not in page
