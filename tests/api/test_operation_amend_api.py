"""ADR 0020: `PUT /api/v1/operations/{id}` changes a plan as the web form does: coordinator
only, re-shared with the new participants (one taken off stops seeing it)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.store.store import Store
from tests.api.test_coordination_api import headers
from tests.store.factories import setup_agencies

DE = {"agency": "DE-BKA", "country": "DE", "timezone": "Europe/Berlin"}
NL = {"agency": "NL-KMAR", "country": "NL", "timezone": "Europe/Amsterdam"}
TH = {"agency": "TH-RTP", "country": "TH", "timezone": "Asia/Bangkok"}


def plan(name: str, *participants: dict[str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "action_time": "2026-12-03T05:30:00+01:00",
        "participants": list(participants),
    }


def test_only_the_coordinator_changes_the_plan_and_the_audience_follows(store: Store) -> None:
    setup_agencies(store, {"DE-BKA": (), "NL-KMAR": (), "TH-RTP": ()})
    client = TestClient(create_app(store))
    de, nl, th = (headers(store, f"analyst-{a}") for a in ("de-bka", "nl-kmar", "th-rtp"))
    op = client.post("/api/v1/operations", headers=de, json=plan("Dawn", DE, NL)).json()["id"]
    assert client.get(f"/api/v1/operations/{op}", headers=th).status_code in (400, 404)

    refused = client.put(f"/api/v1/operations/{op}", headers=nl, json=plan("Mine", NL))
    assert refused.status_code == 403
    moved = client.put(f"/api/v1/operations/{op}", headers=de, json=plan("Dawn", DE, TH))
    assert moved.status_code == 200 and moved.json() == {"changed": True}
    again = client.put(f"/api/v1/operations/{op}", headers=de, json=plan("Dawn", DE, TH))
    assert again.json() == {"changed": False}

    assert client.get(f"/api/v1/operations/{op}", headers=th).status_code == 200
    assert client.get(f"/api/v1/operations/{op}", headers=nl).status_code in (400, 404)
    bad = client.put(
        f"/api/v1/operations/{op}", headers=de, json=plan("Dawn", DE, {**TH, "agency": "XX"})
    )
    assert bad.status_code == 400 and "participants" in bad.json()["field"]
