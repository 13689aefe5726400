"""/healthz and /metrics: status for load balancers, numbers for Prometheus, no personal data."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.exchange import registry
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.ports import free_port
from tests.store.factories import SYSTEM, person, setup_agencies

NAME = "Ikponmwosa Okoye"


@pytest.fixture
def client(store: Store) -> TestClient:
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", Sharing(), name=NAME))
    return TestClient(create_app(store, rate_limit=0))


def _screen(client: TestClient, store: Store) -> None:
    token = store.create_token(SYSTEM, "analyst-a1", "t")
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/v1/screening/person", json={"name": NAME}, headers=headers)
    assert answer.status_code == 200, answer.text


def test_healthz_reports_database_and_peer_lag_to_operators(
    client: TestClient, store: Store
) -> None:
    with store.transaction() as conn:
        registry.add_peer(conn, "node-b", "A1", "http://127.0.0.1:9", "A" * 43 + "=")
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["checks"]["database"]["ok"] is True
    assert set(body["sync_lag"]) == {"node-b"}


def test_healthz_fails_when_nats_is_configured_but_absent(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # free now, and no test's server is given it
    monkeypatch.setenv("PALERMO_NATS", f"nats://127.0.0.1:{port}")
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["nats"]["ok"] is False


def test_details_and_metrics_need_the_operator_token_when_one_is_set(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PALERMO_METRICS_TOKEN", "s3cret-metrics")
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    good = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert good.status_code == 200 and "palermo_audit_queue_depth" in good.text


def test_metrics_count_routes_by_template_and_never_carry_personal_data(
    client: TestClient, store: Store
) -> None:
    _screen(client, store)
    client.get("/api/v1/entities/p1-does-not-exist")
    text = client.get("/metrics").text
    assert 'route="/api/v1/screening/person"' in text
    assert 'route="/api/v1/entities/{entity_id:path}"' in text
    assert "p1-does-not-exist" not in text and "Okoye" not in text
    assert "palermo_screening_indexes 1.0" in text
    assert "palermo_screening_index_persons 1.0" in text
    assert "palermo_http_request_duration_seconds_bucket" in text


def test_every_response_carries_a_request_id_and_one_json_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="palermo.requests"):
        mine = client.get("/healthz", headers={"X-Request-ID": "trace-0001-abc"})
        fresh = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert mine.headers["x-request-id"] == "trace-0001-abc"
    assert fresh.headers["x-request-id"] != "bad id\nwith newline"
    assert len(fresh.headers["x-request-id"]) == 32
    lines = [r.getMessage() for r in caplog.records if r.name == "palermo.requests"]
    assert any(
        '"request_id":"trace-0001-abc"' in line and '"route":"/healthz"' in line for line in lines
    )
