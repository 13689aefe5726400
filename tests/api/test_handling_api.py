"""Handling consent and graded sharing over the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, person, setup_agencies


def test_consent_route_records_lists_and_names_bad_fields(store: Store) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.write(viewers["A1"], person("A1", "p1", Sharing.parse("all|H1|A2"), name="Ivan"))
    headers = {"Authorization": f"Bearer {store.create_token(SYSTEM, 'analyst-b2', 't')}"}
    store.add_user(SYSTEM, "officer-b2", "B2", "analyst,officer")
    officer = {"Authorization": f"Bearer {store.create_token(SYSTEM, 'officer-b2', 't')}"}
    with TestClient(create_app(store, rate_limit=0)) as client:
        entity = client.get("/api/v1/entities/a1.p1", headers=headers).json()
        assert entity["properties"]["name"][0]["sharing"] == "all|H1|A2"
        body = {"provider": "A1", "target": "a1.p1", "use": "court", "reference": "SIENA 7"}
        made = client.post("/api/v1/handling/consents", json=body, headers=headers)
        assert made.status_code == 201 and made.json()["granted_to"] == "B2"
        listed = client.get("/api/v1/handling/consents", headers=headers).json()
        assert [(c["provider"], c["target"]) for c in listed] == [("A1", "a1.p1")]
        bad = client.post("/api/v1/handling/consents", json={**body, "use": "tv"}, headers=headers)
        assert bad.status_code == 400 and "use: 'tv'" in bad.json()["detail"]
        notice = {"notice_type": "yellow", "subject_id": "a1.p1", "reason": "r"}
        graded = {**notice, "scope": "all|H9"}
        answer = client.post("/api/v1/notices", json=graded, headers=officer)
        assert answer.status_code == 400 and "scope: unknown handling code 'H9'" in answer.text
        ok = client.post("/api/v1/notices", json={**notice, "scope": "all|H2|B1"}, headers=officer)
        assert ok.status_code in (200, 201), ok.text
    stored = {
        v.policy for e in store.export(viewers["B2"]) for vs in e.properties.values() for v in vs
    }
    assert "all|H2|B1" in stored
