"""Corrections (issue 21): retract, replace or narrow one's own values, keeping history."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.app import create_app
from palermo.exchange import outbox, registry
from palermo.exchange.sync import sync_all
from palermo.model.sharing import Sharing
from palermo.store.corrections import correct
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.exchange.nodes import direct_transport, make_federation, triples
from tests.store.factories import SYSTEM, person, setup_agencies

EU = Sharing.parse("group:EU")


@pytest.fixture
def viewers(store: Store) -> dict[str, Viewer]:
    found = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    store.write(found["A1"], person("A1", "p1", EU, name="Ivan Petrov", birthDate="1980-03-02"))
    return found


def values(store: Store, viewer: Viewer, prop: str) -> list[tuple[str, str]]:
    entity = store.entity(viewer, "a1.p1")
    assert entity is not None
    return sorted((v.value, v.policy) for v in entity.properties.get(prop, []))


def test_finding_22_retract_keeps_history(store: Store, viewers: dict[str, Viewer]) -> None:
    a1 = viewers["A1"]
    outcome = correct(store, a1, "a1.p1", "birthDate", "1980-03-02", "retract")
    assert (outcome.retracted, outcome.asserted) == (1, 0)
    assert values(store, a1, "birthDate") == []
    assert values(store, viewers["B2"], "birthDate") == []
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(statement.c.retracted).where(statement.c.prop == "birthDate")
        ).all()
    assert sorted(r.retracted for r in rows) == [False, True]  # the old value is kept


def test_finding_22_replace_keeps_the_sharing(store: Store, viewers: dict[str, Viewer]) -> None:
    a1 = viewers["A1"]
    correct(store, a1, "a1.p1", "birthDate", "1980-03-02", "replace", new_value="1980-02-03")
    assert values(store, a1, "birthDate") == [("1980-02-03", "group:EU|")]
    assert values(store, viewers["B2"], "birthDate") == [("1980-02-03", "group:EU|")]


def test_finding_22_replace_checks_the_new_value(store: Store, viewers: dict[str, Viewer]) -> None:
    a1 = viewers["A1"]
    with pytest.raises(ValueError, match=r"^new_value: '1980-13-03' is not a valid date"):
        correct(store, a1, "a1.p1", "birthDate", "1980-03-02", "replace", new_value="1980-13-03")
    with pytest.raises(ValueError, match=r"^new_value: give"):
        correct(store, a1, "a1.p1", "birthDate", "1980-03-02", "replace")
    assert values(store, a1, "birthDate") == [("1980-03-02", "group:EU|")]


def test_finding_22_narrow_sharing_hides_the_value(
    store: Store, viewers: dict[str, Viewer]
) -> None:
    a1 = viewers["A1"]
    outcome = correct(store, a1, "a1.p1", "name", "Ivan Petrov", "share", sharing=Sharing())
    assert (outcome.retracted, outcome.asserted) == (1, 1)
    assert values(store, a1, "name") == [("Ivan Petrov", "owner|")]
    assert values(store, viewers["B2"], "name") == []


def test_finding_22_narrowing_to_a_group_member_is_allowed(
    store: Store, viewers: dict[str, Viewer]
) -> None:
    a1 = viewers["A1"]
    correct(store, a1, "a1.p1", "name", "Ivan Petrov", "share", sharing=Sharing.parse("B2"))
    assert values(store, viewers["B2"], "name") == [("Ivan Petrov", "B2|")]
    same = correct(store, a1, "a1.p1", "name", "Ivan Petrov", "share", sharing=Sharing.parse("B2"))
    assert (same.retracted, same.asserted) == (0, 0)


@pytest.mark.parametrize("wider", ["all", "C3", "group:EU,C3", "group:EU|", "group:EU|no-onward"])
def test_finding_22_widening_is_refused(
    store: Store, viewers: dict[str, Viewer], wider: str
) -> None:
    a1 = viewers["A1"]
    correct(
        store,
        a1,
        "a1.p1",
        "name",
        "Ivan Petrov",
        "share",
        sharing=Sharing.parse("group:EU|no-onward"),
    )
    if wider == "group:EU|no-onward":
        return  # equal is allowed (nothing changes); checked below with a narrower start
    with pytest.raises(ValueError, match=r"^sharing: .* wider than"):
        correct(store, a1, "a1.p1", "name", "Ivan Petrov", "share", sharing=Sharing.parse(wider))
    assert store.entity(viewers["C3"], "a1.p1") is None


def test_finding_22_only_the_owning_agency_corrects(
    store: Store, viewers: dict[str, Viewer]
) -> None:
    with pytest.raises(AccessDenied, match=r"^value: .*only the owning agency"):
        correct(store, viewers["B2"], "a1.p1", "name", "Ivan Petrov", "retract")
    with pytest.raises(NotVisible, match=r"^entity_id: no visible entity"):
        correct(store, viewers["C3"], "a1.p1", "name", "Ivan Petrov", "retract")
    with pytest.raises(NotVisible, match=r"^value: "):
        correct(store, viewers["A1"], "a1.p1", "name", "Nobody", "retract")
    with pytest.raises(ValueError, match=r"^action: "):
        correct(store, viewers["A1"], "a1.p1", "name", "Ivan Petrov", "erase")
    assert values(store, viewers["B2"], "name") == [("Ivan Petrov", "group:EU|")]


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def client(store: Store, viewers: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store, rate_limit=0)) as client:
        yield client


def auth(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 'test')}"}


URL = "/api/v1/entities/a1.p1/corrections"


def test_finding_22_api_corrections(
    client: TestClient, store: Store, viewers: dict[str, Viewer]
) -> None:
    headers = auth(store, "analyst-a1")
    body = {
        "action": "replace",
        "prop": "birthDate",
        "value": "1980-03-02",
        "new_value": "1980-02-03",
    }
    done = client.post(URL, json=body, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json() == {
        "entity_id": "a1.p1",
        "prop": "birthDate",
        "action": "replace",
        "retracted": 1,
        "asserted": 1,
    }
    assert values(store, viewers["A1"], "birthDate") == [("1980-02-03", "group:EU|")]
    wide = client.post(
        URL,
        headers=headers,
        json={"action": "share", "prop": "name", "value": "Ivan Petrov", "sharing": "all"},
    )
    assert wide.status_code == 400 and wide.json()["field"] == "sharing"
    typo = client.post(
        URL,
        headers=headers,
        json={"action": "share", "prop": "name", "value": "Ivan Petrov", "sharing": "B3"},
    )
    assert typo.status_code == 400 and typo.json()["field"] == "sharing"
    other = client.post(
        URL,
        headers=auth(store, "analyst-b2"),
        json={"action": "retract", "prop": "name", "value": "Ivan Petrov"},
    )
    assert other.status_code == 403
    hidden = client.post(
        URL,
        headers=auth(store, "analyst-c3"),
        json={"action": "retract", "prop": "name", "value": "Ivan Petrov"},
    )
    assert hidden.status_code == 404 and hidden.json()["field"] == "entity_id"


# --- exchange ---------------------------------------------------------------------------


def test_finding_22_retraction_reaches_a_peer(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    de.store.write(
        de.analyst, person("DE-BKA", "p1", EU, name="Olga Petrova", birthDate="1990-01-02")
    )
    send = direct_transport(nodes)
    sync_all(de.store, send)
    assert ("de-bka.p1", "birthDate", "1990-01-02", "DE-BKA") in triples(nl.store, nl.analyst)
    correct(
        de.store,
        de.analyst,
        "de-bka.p1",
        "birthDate",
        "1990-01-02",
        "replace",
        new_value="1990-02-01",
    )
    correct(
        de.store,
        de.analyst,
        "de-bka.p1",
        "name",
        "Olga Petrova",
        "share",
        sharing=Sharing(),
    )
    with de.store.engine.connect() as conn:
        nl_peer = next(p for p in registry.peers(conn) if p.agency == "NL-KMAR")
        offered = outbox.pending(conn, "DE-BKA", "NL-KMAR", outbox.acked(conn, nl_peer.node_id))
    assert any(item["retracted"] for item in offered)
    sync_all(de.store, send)
    at_nl = triples(nl.store, nl.analyst)
    assert ("de-bka.p1", "birthDate", "1990-02-01", "DE-BKA") in at_nl
    assert ("de-bka.p1", "birthDate", "1990-01-02", "DE-BKA") not in at_nl
    assert ("de-bka.p1", "name", "Olga Petrova", "DE-BKA") not in at_nl
    de_view = triples(de.store, de.analyst)
    assert ("de-bka.p1", "name", "Olga Petrova", "DE-BKA") in de_view  # still DE's own


def test_finding_16_failed_and_rejected_pushes_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server logs (WARNING) each push a peer refuses or that cannot be delivered."""
    nodes = make_federation(tmp_path)
    de = nodes["DE-BKA"]
    de.store.write(de.analyst, person("DE-BKA", "p1", Sharing.to_all(), name="Olga Petrova"))

    def refusing(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if endpoint.endswith("nl-kmar-node"):
            return 403, {"reason": "key: not registered"}
        raise OSError("connection refused")

    with caplog.at_level(logging.WARNING, logger="palermo.exchange.sync"):
        results = sync_all(de.store, refusing)
    assert all(r.error for r in results)
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("nl-kmar-node" in m and "key: not registered" in m for m in logged)
    assert any("th-rtp-node" in m and "connection refused" in m for m in logged)


# --- web --------------------------------------------------------------------------------


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no CSRF field on {path}"
    return found.group(1)


def _web_login(client: TestClient, store: Store, username: str, agency: str) -> None:
    store.add_user(SYSTEM, username, agency, "analyst", password="pw-" + username)
    form = {
        "username": username,
        "password": "pw-" + username,
        "csrf_token": _csrf(client, "/login"),
    }
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_finding_22_web_entity_page_corrects_own_values_only(
    client: TestClient, store: Store, viewers: dict[str, Viewer]
) -> None:
    _web_login(client, store, "bea", "B2")
    other = client.get("/entities/a1.p1")
    assert other.status_code == 200 and 'class="correction"' not in other.text
    forged = {
        "prop": "name",
        "value": "Ivan Petrov",
        "action": "retract",
        "csrf_token": _csrf(client, "/entities/a1.p1"),
    }
    refused = client.post("/entities/a1.p1/corrections", data=forged, follow_redirects=False)
    assert refused.status_code == 403 and "only the owning agency" in refused.text
    client.post("/logout", data={"csrf_token": _csrf(client, "/")})
    _web_login(client, store, "ada", "A1")
    own = client.get("/entities/a1.p1")
    assert own.text.count('class="correction"') == 2  # name and birthDate
    form = {
        "prop": "birthDate",
        "value": "1980-03-02",
        "action": "replace",
        "new_value": "1980-02-03",
    }
    no_token = client.post("/entities/a1.p1/corrections", data=form, follow_redirects=False)
    assert no_token.status_code == 403  # CSRF
    form["csrf_token"] = _csrf(client, "/entities/a1.p1")
    done = client.post("/entities/a1.p1/corrections", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert values(store, viewers["A1"], "birthDate") == [("1980-02-03", "group:EU|")]
    wide = {
        "prop": "name",
        "value": "Ivan Petrov",
        "action": "share",
        "sharing": "all",
        "csrf_token": form["csrf_token"],
    }
    refused = client.post("/entities/a1.p1/corrections", data=wide, follow_redirects=False)
    assert refused.status_code == 400 and "sharing: " in refused.text


def test_finding_22_replacing_back_within_a_second_is_not_lost(
    store: Store, viewers: dict[str, Viewer]
) -> None:
    """A value changed back at once must not collide with the id of its first statement."""
    a1 = viewers["A1"]
    for old, new in (("1980-03-02", "1980-02-03"), ("1980-02-03", "1980-03-02")) * 2:
        correct(store, a1, "a1.p1", "birthDate", old, "replace", new_value=new)
        assert values(store, a1, "birthDate") == [(new, "group:EU|")]
    assert store.audit_verify().ok
