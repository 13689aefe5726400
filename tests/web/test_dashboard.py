"""The home dashboard (issue 16): after login "/" shows what needs the user's attention --
new alerts, deconfliction hits, cases and tasks of the user's agency, operations with
missing reports, MLA requests due, referrals awaiting an answer, recent imports -- each
read as the user, so another agency's user sees none of it. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import cases, deconfliction, mla, operations, victims
from palermo.coordination.legal import Facts
from palermo.coordination.operations import Participant
from palermo.exchange import alerts
from palermo.ingest import import_file
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_profile import login, section

EU = Sharing.parse("group:EU")
PASSPORT = "P9988776"


def coordination(store: Store, v: dict[str, Viewer], tmp: Path) -> None:
    """B2's view of a small federation's work in progress."""
    a1_subject = write_entity(
        store,
        v["A1"],
        "Person",
        {"name": "Ivan Petrov", "passportNumber": PASSPORT},
        Sharing(),
        "a1.s1",
    )
    b2_subject = write_entity(
        store,
        v["B2"],
        "Person",
        {"name": "I. Petrov", "passportNumber": PASSPORT},
        Sharing(),
        "b2.s1",
    )
    a1_case = cases.open_case(
        store, v["A1"], "A1-CASE-7", "Joint work", "sexual", [a1_subject], {"B2": "member"}
    )
    b2_case = cases.open_case(
        store, v["B2"], "B2-CASE-9", "Own work", "forced-labour", [b2_subject]
    )
    cases.add_task(store, v["A1"], a1_case, "Check the phones", "B2", "2026-12-01")
    cases.add_task(store, v["A1"], a1_case, "Someone else's task", "A1")
    for agency, case in (("A1", a1_case), ("B2", b2_case)):
        deconfliction.publish_case(store, v[agency], case)
    soon = datetime.now(UTC) + timedelta(days=3)
    op = operations.plan_operation(
        store,
        v["A1"],
        "Action day Petrov",
        [Participant("A1", "DE", "Europe/Berlin"), Participant("B2", "NL", "Europe/Amsterdam")],
        soon,
        case_id=a1_case,
    )
    operations.report_result(store, v["A1"], op, "DE", arrests=1)
    facts = Facts(
        frozenset({"recruitment"}), frozenset({"deception"}), frozenset({"sexual-exploitation"})
    )
    mla.create_request(
        store,
        v["A1"],
        "MLA-A1-B2-5",
        "DE",
        "NL",
        "B2",
        "evidence",
        "EIO",
        date.today() + timedelta(days=5),
        facts,
        case_id=a1_case,
    )
    mla.create_request(
        store,
        v["A1"],
        "MLA-A1-B2-LATER",
        "DE",
        "NL",
        "B2",
        "evidence",
        "EIO",
        date.today() + timedelta(days=90),
        facts,
        case_id=a1_case,
    )
    good = tmp / "b2-people.json"
    good.write_text('{"id": "x1", "schema": "Person", "properties": {"name": ["Nadia Haddad"]}}\n')
    assert import_file(store, v["B2"], good).committed
    bad = tmp / "b2-broken.json"
    bad.write_text(
        '{"id": "x2", "schema": "Person", "properties": {"birthDate": ["1980-13-01"]}}\n'
    )
    assert not import_file(store, v["B2"], bad).committed


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    store.add_user(SYSTEM, "bea", "B2", "analyst", password="pw-bea")
    store.add_user(SYSTEM, "vic", "B2", "analyst,victim-support", password="pw-vic")
    store.add_user(SYSTEM, "cat", "C3", "analyst", password="pw-cat")
    alerts.subscribe(store, store.viewer("bea"), "name", "Olga Berg")
    coordination(store, v, tmp_path)
    vic = store.viewer("vic")
    record = victims.record_victim(store, vic, "b2.s1", "sexual")
    victims.refer(store, vic, record, "shelter", "Shelter Utrecht")
    write_entity(store, v["A1"], "Person", {"name": "Olga Berg"}, EU, "a1.olga")
    alerts.scan(store)
    with TestClient(create_app(store)) as client:
        yield client


def test_home_needs_a_login(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_dashboard_shows_what_needs_the_users_attention(client: TestClient) -> None:
    login(client, "bea")
    page = client.get("/").text
    assert 'action="/search"' in page  # search stays in the header
    assert "Olga Berg" in section(page, "alerts")
    hits = section(page, "hits")
    assert "B2-CASE-9" in hits and "A1" in hits and "A1-CASE-7" not in hits
    open_cases = section(page, "cases")
    assert "A1-CASE-7" in open_cases and "B2-CASE-9" in open_cases  # member, and own
    tasks = section(page, "tasks")
    assert "Check the phones" in tasks and "Someone else's task" not in tasks
    ops = section(page, "operations")
    assert "Action day Petrov" in ops and "missing reports: B2" in ops
    due = section(page, "mla")
    assert "MLA-A1-B2-5" in due and "in 5 days" in due and "MLA-A1-B2-LATER" not in due
    assert "Shelter Utrecht" not in page  # the referral is victim-sensitive: masked here
    imports = section(page, "imports")
    assert "b2-people.json" in imports and "imported: 1 entities" in imports
    assert "b2-broken.json" in imports and "rejected: 1 bad rows" in imports


def test_victim_support_sees_referrals_awaiting_an_answer(client: TestClient) -> None:
    login(client, "vic")
    referrals = section(client.get("/").text, "referrals")
    assert "Shelter Utrecht" in referrals and "requested" in referrals


def test_another_agency_sees_none_of_it(client: TestClient) -> None:
    login(client, "cat")
    page = client.get("/").text
    for secret in (
        "A1-CASE-7",
        "B2-CASE-9",
        "Check the phones",
        "Action day Petrov",
        "MLA-A1-B2-5",
        "b2-people.json",
        "Olga Berg",
        "Shelter Utrecht",
    ):
        assert secret not in page, secret


def test_a_user_without_a_data_role_gets_a_plain_home(client: TestClient, store: Store) -> None:
    store.add_user(SYSTEM, "ada", "B2", "admin", password="pw-ada")
    login(client, "ada")
    page = client.get("/").text
    assert "Your roles read no case data" in page and "A1-CASE-7" not in page
