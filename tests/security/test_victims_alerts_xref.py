"""Regression tests for the security review of 2026-11-29, findings 2, 4, 15, 16 and 17:
alerts, the non-punishment banner, victim consent, cross-reference messages and victim
writes never get round victim masking. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import AccessDenied, Viewer
from palermo.api.app import create_app
from palermo.api.auth import COOKIE
from palermo.coordination import victims
from palermo.exchange import alerts
from palermo.exchange.messages import inbox
from palermo.ingest.build import build
from palermo.match.resolution import cross_reference
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies

BANNER = "Non-punishment applies"


@dataclass
class World:
    store: Store
    users: dict[str, Viewer]  # "analyst-a1", "support-b2", ...

    def token(self, username: str) -> str:
        return self.store.create_token(SYSTEM, username, "test")

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}


@pytest.fixture
def world(store: Store) -> World:
    """Three agencies (A1 and B2 in EU, C3 too); an analyst and a victim-support user each."""
    analysts = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ("EU",)})
    users = {v.username: v for v in analysts.values()}
    for code in analysts:
        name = f"support-{code.lower()}"
        users[name] = store.add_user(SYSTEM, name, code, "analyst,victim-support").viewer()
    return World(store, users)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(store=world.store, rate_limit=0)) as client:
        yield client


def add_person(world: World, eid: str, scope: str, **props: str) -> None:
    owner = world.users[f"analyst-{eid.split('.')[0]}"]
    sharing = Sharing.from_canonical(scope if "|" in scope else f"{scope}|")
    world.store.write(owner, build(owner.agency, eid, "Person", props, sharing))


def readable(store: Store, viewer: Viewer, entity_id: str) -> dict[str, list[str]]:
    """The values of an entity the viewer reads unmasked (nothing if it cannot see it)."""
    found = store.entity(viewer, entity_id)
    if found is None:
        return {}
    out = {
        prop: [v.value for v in values if not v.masked]
        for prop, values in found.properties.items()
        if prop != BASE
    }
    return {p: vs for p, vs in out.items() if vs}


# --- finding 2 --------------------------------------------------------------------------


def test_finding_2_alerts_match_only_readable_values(world: World) -> None:
    store, u = world.store, world.users
    add_person(world, "a1.p1", "all", name="Ivan Petrov")
    alerts.scan(store)  # the person is old news: alerts are about what arrives next
    subs = {
        "analyst-b2": [("entity", "a1.p1"), ("name", "Mai Tran"), ("document", "VS123456")],
        "support-b2": [("entity", "a1.p1"), ("name", "Mai Tran")],
    }
    for username, wanted in subs.items():
        for kind, value in wanted:
            alerts.subscribe(store, u[username], kind, value)
    alerts.subscribe(store, u["analyst-b2"], "name", "Anna Berg")
    record = victims.record_victim(
        store, u["support-a1"], "a1.p1", "forced-labour", "partners", frozenset({"B2"})
    )
    add_person(world, "a1.mai", "all|victim-sensitive", name="Mai Tran", passportNumber="VS123456")
    add_person(world, "a1.berg", "all", name="Anna Berg")
    created = alerts.scan(store)

    analyst = [a for a in created if a.username == "analyst-b2"]
    assert {a.entity_id for a in analyst} == {"a1.berg"}  # the readable value still alerts
    assert all("[masked]" not in a.summary for a in created)
    support = {a.entity_id for a in created if a.username == "support-b2"}
    assert support == {record, "a1.mai"}  # victim-support reads these values, so is alerted
    assert alerts.alerts_for(store, u["analyst-b2"]) == analyst
    assert alerts.scan(store) == []


# --- finding 4 --------------------------------------------------------------------------


def test_finding_4_no_banner_without_victim_rights(world: World, client: TestClient) -> None:
    store, u = world.store, world.users
    add_person(world, "a1.p1", "group:EU", name="Jelena Lytvynenko")
    victims.record_victim(
        store, u["support-a1"], "a1.p1", "sexual-exploitation", "partners", frozenset({"B2"})
    )
    shown = {}
    for username in ("analyst-a1", "analyst-b2", "analyst-c3", "support-a1", "support-b2"):
        client.cookies.set(COOKIE, world.token(username))
        page = client.get("/entities/a1.p1")
        assert page.status_code == 200 and "Jelena Lytvynenko" in page.text
        shown[username] = BANNER in page.text
        assert shown[username] == victims.non_punishment(store, u[username], "a1.p1")
    # only victim-support staff the record is shared with read that the person is a victim
    assert shown == {
        "analyst-a1": False,
        "analyst-b2": False,
        "analyst-c3": False,
        "support-a1": True,
        "support-b2": True,
    }
    assert not hasattr(Viewer, "with_victim_details")  # no code path lends a viewer a role


# --- finding 15 -------------------------------------------------------------------------


@pytest.mark.parametrize("consent", ["none", "agency", "partners", "all"])
def test_finding_15_consent_widens_audience_keeps_masking(
    world: World, client: TestClient, consent: str
) -> None:
    store, u = world.store, world.users
    add_person(world, "a1.p7", "all", name="Blessing Okafor")
    body = {
        "person_id": "a1.p7",
        "exploitation_form": "sexual-exploitation",
        "consent": consent,
        "partners": ["B2"] if consent == "partners" else [],
        "protection_needs": ["shelter", "medical"],
    }
    response = client.post("/api/v1/victims", json=body, headers=world.headers("support-a1"))
    assert response.status_code == 200, response.text
    record = response.json()["id"]

    audience = {"none": {"A1"}, "agency": {"A1"}, "partners": {"A1", "B2"}}.get(
        consent, {"A1", "B2", "C3"}
    )
    for username, viewer in u.items():
        values = readable(store, viewer, record)
        if username.startswith("analyst-"):
            assert values == {}, (username, values)  # never a victim detail for an analyst
        elif viewer.agency in audience:
            assert values["victim"] == ["a1.p7"] and values["protectionNeeds"] == [
                "shelter",
                "medical",
            ]
        else:
            assert store.entity(viewer, record) is None
    own = store.entity(u["support-a1"], record)
    assert own is not None
    assert all(
        Sharing.from_canonical(v.policy).victim_sensitive
        for values in own.properties.values()
        for v in values
    )
    listed = client.get("/api/v1/victims", headers=world.headers("analyst-a1")).json()
    assert "sexual-exploitation" not in str(listed) and "a1.p7" not in str(listed)


def test_finding_15_consent_input_is_checked(world: World, client: TestClient) -> None:
    support = world.headers("support-a1")
    cases: list[tuple[dict[str, object], str]] = [
        ({"consent": "maybe"}, "consent"),
        ({"consent": "partners", "partners": []}, "partners"),
        ({"consent": "none", "partners": ["B2"]}, "partners"),
        ({"consent": "partners", "partners": ["ZZ-NOPE"]}, "partners"),
    ]
    for extra, field in cases:
        body: dict[str, object] = {
            "person_id": "a1.p7",
            "exploitation_form": "forced-labour",
            **extra,
        }
        response = client.post("/api/v1/victims", json=body, headers=support)
        assert response.status_code == 400 and response.json()["field"] == field, extra


# --- finding 16 -------------------------------------------------------------------------


def test_finding_16_xref_notifies_only_own_pairs_once(world: World) -> None:
    store, u = world.store, world.users
    volkov = {"name": "Oleksandr Volkov", "birthDate": "1983-04-12", "passportNumber": "FP123456"}
    add_person(world, "a1.volkov", "group:EU", nationality="ua", **volkov)
    add_person(world, "b2.volkov", "group:EU", nationality="ua", **volkov)
    berg = {"name": "Anna Berg", "birthDate": "1970-05-05", "passportNumber": "NL7788990"}
    add_person(world, "b2.berg", "group:EU", **berg)  # a pair of two third parties
    add_person(world, "c3.berg", "group:EU", **berg)
    mai = {"name": "Mai Tran", "birthDate": "1999-02-03", "passportNumber": "VN1234567"}
    add_person(world, "a1.mai", "group:EU", **mai)  # matches only on victim-sensitive values
    add_person(world, "c3.mai", "group:EU|victim-sensitive", **mai)
    add_person(world, "a1.other", "group:EU", name="Somchai Jaidee", birthDate="1990-01-02")

    runner = u["support-a1"]  # reads C3's victim-sensitive record unmasked
    for _ in range(2):
        _, hits = cross_reference(store, runner, threshold=0.8)
        pairs = {tuple(sorted((h.left, h.right))) for h in hits}
        assert {("a1.volkov", "b2.volkov"), ("b2.berg", "c3.berg"), ("a1.mai", "c3.mai")} <= pairs

    b2 = inbox(store, u["analyst-b2"])
    assert [m.first("subject") for m in b2] == ["Cross-reference hit"]  # once, not per run
    assert b2[0].values("about") == ["b2.volkov"] and "its record a1.volkov" in (
        b2[0].first("bodyText") or ""
    )
    assert b2[0].values("recordId") == []  # the sender's pair mark stays with the sender
    for username in ("analyst-c3", "support-c3"):  # third-party pair, victim-sensitive pair
        assert inbox(store, u[username]) == []


# --- finding 17 -------------------------------------------------------------------------


def test_finding_17_victim_writes_need_victim_support(world: World, client: TestClient) -> None:
    store, u = world.store, world.users
    add_person(world, "a1.p3", "all", name="Kristina Semenyuk")
    body = {"person_id": "a1.p3", "exploitation_form": "forced-labour", "consent": "none"}
    analyst, support = world.headers("analyst-a1"), world.headers("support-a1")

    denied = client.post("/api/v1/victims", json=body, headers=analyst)
    assert denied.status_code == 403 and "victim-support" in denied.json()["detail"]
    assert store.entities(u["support-a1"], schema="VictimRecord") == []
    record = client.post("/api/v1/victims", json=body, headers=support).json()["id"]

    referral_body = {"service": "shelter", "provider": "Frauenhaus"}
    url = f"/api/v1/victims/{record}/referrals"
    denied = client.post(url, json=referral_body, headers=analyst)
    assert denied.status_code == 403 and "victim-support" in denied.json()["detail"]
    other = client.post(url, json=referral_body, headers=world.headers("support-b2"))
    assert other.status_code in (403, 404)  # another agency's record
    referral = client.post(url, json=referral_body, headers=support).json()["id"]

    status_url = f"/api/v1/referrals/{referral}/status"
    denied = client.post(status_url, json={"status": "declined"}, headers=analyst)
    assert denied.status_code == 403 and "victim-support" in denied.json()["detail"]
    done = client.post(status_url, json={"status": "accepted"}, headers=support)
    assert done.status_code == 200
    assert readable(store, u["support-a1"], referral)["referralStatus"] == ["accepted"]
    assert readable(store, u["analyst-a1"], referral) == {}  # the referral stays masked
    bad = client.post(status_url, json={"status": "lost"}, headers=support)
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    with pytest.raises(AccessDenied, match="victim-support"):
        victims.update_referral(store, u["analyst-a1"], referral, "completed")
