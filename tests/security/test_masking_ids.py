"""Finding 3 of the 2026-11-29 review: masked values stay masked in ids and source ids.

An Associate and a VictimRecord shared ``all|victim-sensitive`` by DE-BKA: an analyst of
another agency (TH-RTP) must read neither their real ids nor their source record ids on
any read path (list, entity, search, export, analysis), must be able to open them by the
opaque id it was given, and must get a 404 for the real id; a victim-support user of the
owner sees the real ids. The world generator must not compose victim-related ids from the
ids of the people they link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import NotVisible
from palermo.api.app import create_app
from palermo.api.auth import COOKIE
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.visibility import ALIAS_PREFIX
from palermo.world.generate import generate
from tests.store.factories import SYSTEM, setup_agencies

VICTIM = "de-bka.BKA-ST-0000002"
EXPLOITER = "de-bka.BKA-ST-0000001"
ASSOCIATE = f"{VICTIM}-exploited-by-BKA-ST-0000001"
VICTIM_RECORD = "de-bka.FKS-0000009-VR"
SENSITIVE = Sharing.parse("all", ["victim-sensitive"])
OPEN = Sharing.to_all()
# What must not reach the other agency's analyst: the real ids (they name the victim and
# the exploiter's record) and the local record ids they were built from.
SECRETS = (VICTIM, ASSOCIATE, VICTIM_RECORD, "exploited-by", "FKS-0000009", "-VR")


@dataclass
class World:
    store: Store
    client: TestClient
    analyst: dict[str, str]  # TH-RTP analyst's headers
    support: dict[str, str]  # DE-BKA victim-support user's headers


def headers(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 'test')}"}


@pytest.fixture
def world(store: Store) -> Iterator[World]:
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "TH-RTP": ()})
    bka = viewers["DE-BKA"]
    store.write(bka, build("DE-BKA", EXPLOITER, "Person", {"name": "Ivan Petrov"}, OPEN))
    store.write(bka, build("DE-BKA", VICTIM, "Person", {"name": "Mai Tran"}, SENSITIVE))
    props = {"person": VICTIM, "associate": EXPLOITER, "relationship": "exploited-by"}
    store.write(bka, build("DE-BKA", ASSOCIATE, "Associate", props, SENSITIVE))
    record = {"victim": VICTIM, "exploitationForm": "sexual", "nonPunishment": "true"}
    store.write(bka, build("DE-BKA", VICTIM_RECORD, "VictimRecord", record, SENSITIVE))
    store.add_user(SYSTEM, "support-de-bka", "DE-BKA", "victim-support,analyst")
    with TestClient(create_app(store=store, rate_limit=0)) as client:
        yield World(
            store, client, headers(store, "analyst-th-rtp"), headers(store, "support-de-bka")
        )


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_finding_3_victim_entity_ids_are_opaque(world: World) -> None:
    client, analyst = world.client, world.analyst
    listed = client.get("/api/v1/entities?limit=500", headers=analyst)
    assert listed.status_code == 200
    assert not leaked(listed.text), leaked(listed.text)
    by_schema = {e["schema"]: e for e in listed.json()["results"]}
    associate, record = by_schema["Associate"], by_schema["VictimRecord"]
    for entity in (associate, record):
        assert re.fullmatch(f"{ALIAS_PREFIX}[0-9a-f]{{32}}", entity["id"])
        for prop, values in entity["properties"].items():
            assert all(v["source_record_id"] == "[masked]" for v in values)
            assert all(v["masked"] or prop == "id" for v in values)
        assert entity["properties"]["id"][0]["value"] == entity["id"]
        opened = client.get(f"/api/v1/entities/{entity['id']}", headers=analyst)
        assert opened.status_code == 200 and opened.json()["id"] == entity["id"]
        assert not leaked(opened.text)
    # The real id is as unknown as a missing one: same 404, same shape.
    for real in (ASSOCIATE, VICTIM_RECORD, VICTIM):
        missing = client.get(f"/api/v1/entities/{real}", headers=analyst)
        assert missing.status_code == 404 and missing.json()["field"] == "entity_id"
    # The exploiter is shared openly: his id stays real, and no masked link names him.
    assert client.get(f"/api/v1/entities/{EXPLOITER}", headers=analyst).status_code == 200
    for q in ("Ivan", "exploited", "FKS-0000009", "masked"):
        found = client.get(f"/api/v1/search?q={q}", headers=analyst)
        assert found.status_code == 200 and not leaked(found.text), q
    analyst_viewer = world.store.viewer("analyst-th-rtp")
    exported = [e.to_ftm() | {"src": _sources(e)} for e in world.store.export(analyst_viewer)]
    assert not leaked(json.dumps(exported))
    assert {ASSOCIATE, VICTIM_RECORD}.isdisjoint(e["id"] for e in exported)
    graph = client.get("/api/v1/analysis/graph", headers=analyst)
    assert graph.status_code == 200 and not leaked(graph.text)
    graphml = client.get("/api/v1/analysis/graph.graphml", headers=analyst)
    assert graphml.status_code == 200 and not leaked(graphml.text)
    client.cookies.set(COOKIE, analyst["Authorization"].removeprefix("Bearer "))
    for page in (f"/entities/{associate['id']}", f"/entities/{record['id']}", "/search?q=Mai"):
        web = client.get(page)
        assert web.status_code == 200 and not leaked(web.text), page
    client.cookies.clear()

    # The owner's victim-support user sees the real ids and source record ids.
    support = world.support
    own = client.get("/api/v1/entities?limit=500", headers=support).json()["results"]
    ids = {e["id"] for e in own}
    assert {ASSOCIATE, VICTIM_RECORD, VICTIM, EXPLOITER} <= ids
    assert not any(i.startswith(ALIAS_PREFIX) for i in ids)
    record_full = client.get(f"/api/v1/entities/{VICTIM_RECORD}", headers=support).json()
    assert record_full["properties"]["victim"][0]["value"] == VICTIM
    assert record_full["properties"]["victim"][0]["source_record_id"] == VICTIM_RECORD


def test_finding_3_unmasked_reference_points_at_the_alias(world: World) -> None:
    """An openly shared record naming the victim must not hand out the victim's real id."""
    store = world.store
    rtp = store.viewer("analyst-th-rtp")
    bka = store.viewer("analyst-de-bka")
    link = {"employer": EXPLOITER, "employee": VICTIM, "role": "worker"}
    store.write(bka, build("DE-BKA", "de-bka.emp-1", "Employment", link, OPEN))
    employment = store.entity(rtp, "de-bka.emp-1")
    assert employment is not None
    employee = employment.first("employee")
    assert employee is not None and employee.startswith(ALIAS_PREFIX)
    assert store.entity(rtp, employee) is not None  # following the link leads to the alias
    assert [e.id for e in store.referencing(rtp, employee)] == ["de-bka.emp-1"]
    assert store.referencing(rtp, VICTIM) == []
    # Entity ids that look like aliases cannot be written (they would shadow one).
    with pytest.raises(ValueError, match=r"^id: "):
        store.write(bka, build("DE-BKA", employee, "Person", {"name": "X"}, Sharing()))
    # Nor can another agency write a note on a guessed real id to make the opaque entity
    # show up under it: refused exactly like an id that does not exist, and nothing kept.
    before = store.count_statements()
    for guess in (VICTIM_RECORD, "de-bka.no-such-record"):
        note = build("TH-RTP", guess, "Person", {"name": "probe"}, Sharing())
        with pytest.raises(NotVisible, match=r"^entity_id: no visible entity"):
            store.write(rtp, note)
    assert store.count_statements() == before
    assert store.entity(rtp, VICTIM_RECORD) is None
    # Writing on another agency's record it may read openly stays possible.
    store.write(rtp, build("TH-RTP", EXPLOITER, "Person", {"notes": "seen in BKK"}, OPEN))


def test_finding_3_world_ids_do_not_compose_other_ids(tmp_path: Path) -> None:
    generate(tmp_path, persons=300, seed=7)
    persons: set[str] = set()
    victim_related: list[tuple[str, str]] = []
    for path in sorted(tmp_path.glob("*/entities.ftm.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["schema"] == "Person":
                persons.add(record["id"])
            elif "victim-sensitive" in record["sharing"].get("handling", []):
                victim_related.append((record["schema"], record["id"]))
    schemata = {schema for schema, _ in victim_related}
    assert {"Associate", "VictimRecord", "Address"} <= schemata, schemata
    for schema, record_id in victim_related:
        for person_id in persons:
            assert person_id not in record_id, (schema, record_id, person_id)
        assert not re.search(r"recruited-by|exploited-by|-VR$|-EA$|-RA$|-RPH", record_id)
    # Still deterministic for a seed.
    again = tmp_path / "again"
    generate(again, persons=300, seed=7)
    for path in sorted(tmp_path.glob("*/entities.ftm.json")):
        twin = again / path.parent.name / path.name
        assert path.read_bytes() == twin.read_bytes(), path


def _sources(entity: object) -> list[str]:
    props = getattr(entity, "properties", {})
    return [v.source_record_id for values in props.values() for v in values]
