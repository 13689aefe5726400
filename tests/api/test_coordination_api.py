"""The coordination workflows over HTTP, as two agencies on one node."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies


def headers(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 't')}"}


def test_case_operation_and_law_endpoints(store: Store) -> None:
    setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",), "TH-RTP": ()})
    client = TestClient(create_app(store))
    de, nl, th = (headers(store, f"analyst-{a}") for a in ("de-bka", "nl-kmar", "th-rtp"))
    case = client.post(
        "/api/v1/cases",
        headers=de,
        json={
            "case_number": "BKA-1",
            "title": "Salons",
            "exploitation_form": "forced-labour",
            "team": {"NL-KMAR": "member"},
        },
    ).json()["id"]
    client.post(f"/api/v1/cases/{case}/tasks", headers=nl, json={"title": "Check flights"})
    seen = client.get(f"/api/v1/cases/{case}", headers=de).json()
    assert seen["team"] == {"DE-BKA": "lead", "NL-KMAR": "member"} and len(seen["tasks"]) == 1
    hidden = client.get(f"/api/v1/cases/{case}", headers=th)
    assert hidden.status_code == 400 and hidden.json()["field"] == "case_id"
    bad_role = client.post(
        "/api/v1/cases",
        headers=de,
        json={
            "case_number": "X",
            "title": "x",
            "exploitation_form": "x",
            "team": {"NL-KMAR": "boss"},
        },
    )
    assert bad_role.status_code == 400 and bad_role.json()["field"] == "team"

    op = client.post(
        "/api/v1/operations",
        headers=de,
        json={
            "name": "Action day",
            "action_time": "2026-12-03T05:30:00+01:00",
            "participants": [
                {"agency": "DE-BKA", "country": "DE", "timezone": "Europe/Berlin"},
                {"agency": "NL-KMAR", "country": "NL", "timezone": "Europe/Amsterdam"},
            ],
        },
    ).json()["id"]
    client.post(
        f"/api/v1/operations/{op}/results", headers=nl, json={"country": "NL", "arrests": 2}
    )
    negative = client.post(
        f"/api/v1/operations/{op}/results", headers=nl, json={"country": "NL", "arrests": -2}
    )
    assert negative.status_code == 422 and negative.json()["field"] == "arrests"
    board = client.get(f"/api/v1/operations/{op}", headers=de).json()
    assert board["by_country"]["NL"]["arrests"] == 2 and board["missing_reports"] == ["DE-BKA"]

    dual = client.post(
        "/api/v1/laws/dual-criminality?requesting=DE&requested=NL",
        headers=de,
        json={"acts": ["recruitment"], "purposes": ["sexual-exploitation"], "victim_age": 19},
    ).json()
    assert dual["dual_criminality"] is False
    assert [f["criminal"] for f in dual["findings"]] == [True, False]
    rows = client.get("/api/v1/laws/compare?countries=DE,NL", headers=de).json()
    assert {"element": "purposes", "value": "forced-begging", "DE": True, "NL": False} in rows
