"""Victim record, consent and referral in the browser (issue 16), through the web forms only.

A victim-support user records a victim with consent for one partner, refers her and moves
the referral on; analysts, of her agency and of the partner, see that a record exists but
none of its details (not her person id, form, provider or status) and may not record or
refer; refused input is shown next to its field and stores nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.web.render import id_path
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_case_forms import login

EU = Sharing.parse("group:EU")


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    """A1 and B2 in the EU group, C3 outside; A1 holds the person Mira Lenk (shared with
    the EU group). val is A1's victim-support worker; ada (A1), bea (B2), cyd (C3) analysts."""
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    write_entity(store, v["A1"], "Person", {"name": "Mira Lenk"}, EU, "a1.p1")
    for user, agency, roles in (
        ("val", "A1", "victim-support"),
        ("ada", "A1", "analyst"),
        ("bea", "B2", "analyst"),
        ("cyd", "C3", "analyst"),
        ("vic", "B2", "victim-support"),
    ):
        store.add_user(SYSTEM, user, agency, roles, password=f"pw-{user}")
    v["val"] = store.viewer("val")
    v["vic"] = store.viewer("vic")
    return v


@pytest.fixture
def client(store: Store, world: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def victim_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "person_id": "a1.p1",
        "exploitation_form": "forced-labour-domestic",
        "consent": "partners",
        "partner_B2": "on",
        "protection_needs": "shelter\ninterpreter (Romanian)",
        "re_trafficking_risk": "high",
        "non_punishment": "on",
        "exploitation_country": "de",
    }
    return {**form, **fields}


def records(store: Store, viewer: Viewer) -> list[str]:
    return [e.id for e in store.entities(viewer, schema="VictimRecord", limit=50)]


def record_and_refer(client: TestClient, store: Store) -> str:
    csrf = login(client, "val")
    form_page = client.get("/victims/new?person=a1.p1")
    assert form_page.status_code == 200 and "Mira Lenk" in form_page.text
    answer = client.post("/victims/new", data=victim_form(csrf), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    referral = {"csrf_token": csrf, "service": "shelter", "provider": "Shelter Rotterdam"}
    done = client.post(f"{location}/referrals", data=referral)
    assert done.status_code == 200, done.text
    return location


def test_victim_support_records_refers_and_moves_the_referral_on(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    location = record_and_refer(client, store)
    record_id = location.removeprefix("/victims/")
    record = store.entity(world["val"], record_id)
    assert record is not None and record.schema == "VictimRecord"
    assert record.first("victim") == "a1.p1" and record.first("consent") == "partners"
    assert record.first("exploitationCountry") == "de"
    assert sorted(record.values("protectionNeeds")) == ["interpreter (Romanian)", "shelter"]
    page = client.get(location).text
    assert "Mira Lenk" in page and "Shelter Rotterdam" in page and "requested" in page
    referral = store.referencing(world["val"], record_id, schema="Referral")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "status": "accepted", "record": record_id}
    moved = client.post(f"/referrals/{id_path(referral.id)}/status", data=form)
    assert moved.status_code == 200 and "accepted" in moved.text
    updated = store.entity(world["val"], referral.id)
    assert updated is not None and updated.values("referralStatus") == ["accepted"]
    # the partner's victim-support worker reads the record the consent shared with B2
    shared = store.entity(world["vic"], record_id)
    assert shared is not None and shared.first("victim") == "a1.p1"


@pytest.mark.parametrize("analyst", ["ada", "bea"])
def test_an_analyst_sees_that_a_record_exists_but_none_of_its_details(
    client: TestClient, store: Store, world: dict[str, Viewer], analyst: str
) -> None:
    location = record_and_refer(client, store)
    record_id = location.removeprefix("/victims/")
    client.cookies.clear()
    csrf = login(client, analyst)
    listing = client.get("/victims").text
    links = re.findall(r'href="/victims/(masked-[0-9a-f]+)"', listing)
    assert len(links) == 1, listing  # one record, shown under its alias
    page = client.get(f"/victims/{links[0]}")
    assert page.status_code == 200 and 'id="masked-note"' in page.text
    for secret in ("a1.p1", "Mira Lenk", "forced-labour-domestic", "Shelter Rotterdam", record_id):
        assert secret not in page.text and secret not in listing, secret
    main = page.text.split('<main id="main">', 1)[1]
    assert "requested" not in main and 'id="referral-form"' not in main
    assert client.get(location).status_code == 404  # the real id finds nothing
    assert client.get("/victims/new").status_code == 403
    refused = client.post("/victims/new", data=victim_form(csrf))
    assert refused.status_code == 403 and "needs the victim-support role" in refused.text
    referral = {"csrf_token": csrf, "service": "medical", "provider": "Clinic"}
    assert client.post(f"/victims/{links[0]}/referrals", data=referral).status_code in (403, 404)
    assert len(records(store, world["val"])) == 1
    assert len(store.referencing(world["val"], record_id, schema="Referral")) == 1


def test_an_agency_outside_the_consent_sees_nothing(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    location = record_and_refer(client, store)
    client.cookies.clear()
    login(client, "cyd")
    assert "No victim record is shared with C3" in client.get("/victims").text
    assert client.get(location).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("person_id", "a1.nobody", "no person"),
        ("person_id", "", "name the person"),
        ("exploitation_form", "slavery-ish", "is not a form of exploitation"),
        ("consent", "maybe", "is not one of none, agency, partners, all"),
        ("partner_B2", "", "needs at least one partner agency"),
        ("exploitation_country", "Atlantis", "is not a valid country"),
        ("re_trafficking_risk", "extreme", "is not low, medium or high"),
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_stored(
    client: TestClient, store: Store, world: dict[str, Viewer], field: str, value: str, reason: str
) -> None:
    csrf = login(client, "val")
    answer = client.post("/victims/new", data=victim_form(csrf, **{field: value}))
    assert answer.status_code == 422, answer.text
    shown = "partners" if field == "partner_B2" else field
    message = re.search(rf'id="{shown}-error" role="alert">([^<]*)<', answer.text)
    assert message is not None, answer.text
    assert reason in message.group(1).replace("&#39;", "'")
    assert records(store, world["val"]) == []


def test_a_referral_needs_a_provider_and_a_known_service(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    location = record_and_refer(client, store)
    csrf = login(client, "val")
    empty = client.post(f"{location}/referrals", data={"csrf_token": csrf, "service": "shelter"})
    assert empty.status_code == 422 and 'id="referral-provider-error"' in empty.text
    bad = {"csrf_token": csrf, "service": "spa", "provider": "X"}
    wrong = client.post(f"{location}/referrals", data=bad)
    assert wrong.status_code == 422 and 'id="referral-service-error"' in wrong.text
    record_id = location.removeprefix("/victims/")
    assert len(store.referencing(world["val"], record_id, schema="Referral")) == 1


def test_posts_without_the_csrf_token_are_refused(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    login(client, "val")
    form = victim_form("wrong")
    assert client.post("/victims/new", data=form).status_code == 403
    del form["csrf_token"]
    assert client.post("/victims/new", data=form).status_code == 403
    assert records(store, world["val"]) == []
