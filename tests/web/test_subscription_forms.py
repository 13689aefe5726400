"""Alert subscriptions in the browser (issue 16): list, subscribe, delete, latest alerts.

Each user sees and deletes only their own subscriptions (another's id is "not found", and
stays); a bad kind or an empty value is shown next to its field; a user without a data role
may not subscribe; a matching write shows up under the latest alerts. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.exchange import alerts
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_case_forms import login


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    for user, agency, roles in (("ada", "A1", "analyst"), ("bea", "B2", "analyst")):
        store.add_user(SYSTEM, user, agency, roles, password=f"pw-{user}")
    store.add_user(SYSTEM, "adm", "A1", "admin", password="pw-adm")
    return v


@pytest.fixture
def client(store: Store, world: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def subscribe(client: TestClient, csrf: str, kind: str, value: str) -> object:
    return client.post("/subscriptions", data={"csrf_token": csrf, "kind": kind, "value": value})


def test_subscribe_see_the_alert_then_delete(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    assert 'id="no-subscriptions"' in client.get("/subscriptions").text
    answer = client.post(
        "/subscriptions",
        data={"csrf_token": csrf, "kind": "name", "value": "Ivan Petrov"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    ada = store.viewer("ada")
    [mine] = alerts.subscriptions_of(store, ada)
    assert (mine["kind"], mine["value"]) == ("name", "Ivan Petrov")
    listing = client.get("/subscriptions").text
    assert "Ivan Petrov" in listing and f"/subscriptions/{mine['id']}/delete" in listing

    write_entity(store, world["B2"], "Person", {"name": "Ivan Petrov"}, Sharing.parse("group:EU"))
    alerts.scan(store)
    recent = client.get("/subscriptions").text
    assert 'id="recent-alerts"' in recent and "Person.name = Ivan Petrov" in recent

    gone = client.post(f"/subscriptions/{mine['id']}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and 'id="no-subscriptions"' in gone.text
    assert alerts.subscriptions_of(store, ada) == []


def test_nobody_sees_or_deletes_another_users_subscription(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    theirs = alerts.subscribe(store, store.viewer("bea"), "document", "XK 1234567")
    csrf = login(client, "ada")
    assert "XK 1234567" not in client.get("/subscriptions").text
    refused = client.post(f"/subscriptions/{theirs}/delete", data={"csrf_token": csrf})
    assert refused.status_code == 404 and "you have no subscription" in refused.text
    for odd in ("0", "-1", "abc", "9" * 30):
        answer = client.post(f"/subscriptions/{odd}/delete", data={"csrf_token": csrf})
        assert answer.status_code in (404, 422), odd
    assert len(alerts.subscriptions_of(store, store.viewer("bea"))) == 1


@pytest.mark.parametrize(
    ("kind", "value", "field", "reason"),
    [
        ("colour", "red", "kind", "is not one of entity"),
        ("name", "   ", "value", "empty"),
        ("name", "x" * 1200, "value", "longer than"),
    ],
)
def test_a_refused_field_is_shown_next_to_it(
    client: TestClient, store: Store, kind: str, value: str, field: str, reason: str
) -> None:
    csrf = login(client, "ada")
    answer = client.post("/subscriptions", data={"csrf_token": csrf, "kind": kind, "value": value})
    assert answer.status_code == 422
    message = re.search(rf'id="{field}-error" role="alert">([^<]*)<', answer.text)
    assert message is not None and reason in message.group(1)
    assert alerts.subscriptions_of(store, store.viewer("ada")) == []


def test_without_a_data_role_no_subscription_and_no_forged_post(
    client: TestClient, store: Store
) -> None:
    csrf = login(client, "adm")
    answer = client.post("/subscriptions", data={"csrf_token": csrf, "kind": "name", "value": "x"})
    assert answer.status_code == 403 and "may not subscribe" in answer.text
    login(client, "ada")
    forged = client.post("/subscriptions", data={"csrf_token": "x", "kind": "name", "value": "y"})
    assert forged.status_code == 403
    assert alerts.subscriptions_of(store, store.viewer("ada")) == []


def test_the_latest_alerts_are_the_newest_whatever_their_number(
    store: Store, world: dict[str, Viewer]
) -> None:
    from palermo.web.subscription_forms import RECENT, _latest

    ada = store.viewer("ada")
    alerts.subscribe(store, ada, "name", "Petrov")
    for n in range(RECENT + 3):
        write_entity(
            store, world["A1"], "Person", {"name": f"Ivan{n} Petrov"}, Sharing.owner_only()
        )
    alerts.scan(store)
    every = alerts.alerts_for(store, ada, limit=1000)
    assert len(every) == RECENT + 3
    assert [a.id for a in _latest(store, ada, page_size=5)] == [a.id for a in every[-RECENT:]]
