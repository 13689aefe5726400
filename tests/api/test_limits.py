"""Rate limits: per caller, refusals as 429 problem details with Retry-After."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.api import limits
from palermo.api.app import create_app
from palermo.api.limits import Buckets
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies


def test_bucket_refills_at_the_rate() -> None:
    buckets = Buckets(rate=2, burst=3)
    assert [buckets.take("k", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("k", now=0.0) == 0.5  # empty: one token comes in half a second
    assert buckets.take("other", now=0.0) == 0  # another caller has its own bucket
    assert buckets.take("k", now=0.5) == 0


def test_api_refuses_a_flooding_caller_only(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the buckets' clock stands still, so no request refills them however slow the machine
    monkeypatch.setattr(limits, "_clock", lambda: 1000.0)
    store = Store.open(f"sqlite:///{tmp_path / 'l.db'}")
    setup_agencies(store, {"A1": ()})
    tokens = [store.create_token(SYSTEM, "analyst-a1", f"t{i}") for i in range(2)]
    client = TestClient(create_app(store, rate_limit=5))
    first = {"Authorization": f"Bearer {tokens[0]}"}
    codes = [client.get("/api/v1/me", headers=first).status_code for _ in range(30)]
    # the burst (twice the rate) passes; the very first call, made before the token is known
    # valid, counts against the address's bucket instead
    assert codes == [200] * 11 + [429] * 19
    refused = client.get("/api/v1/me", headers=first)
    assert 429 in codes and refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1 and refused.json()["status"] == 429
    second = {"Authorization": f"Bearer {tokens[1]}"}
    assert client.get("/api/v1/me", headers=second).status_code == 200
    assert client.get("/login").status_code == 200  # pages are not API calls
