"""The analysis answers say what H0 withheld (ADR 0051, issue 19): risk, routes, hotspots,
trends and brokers carry the link chart's ``withheld`` marker (agency to ask -> records
with values left out) in their body, and a value another agency stated for investigation
only counts in them only for a read that declares investigation. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

INVESTIGATION_ONLY = Sharing.parse("all|H0:investigation")
ROUTES = ("brokers", "routes", "hotspots", "trends", "risk")


@pytest.fixture
def world(store: Store) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    """A1's victim record of Ivan (exploited in kz, deception noted) is stated for
    investigation only; Olga's (uy, isolation) for any purpose. B2's analyst reads."""
    wipe(store)
    a1 = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})["A1"]
    ivan = write_entity(store, a1, "Person", {"name": "Ivan Restrictov"}, Sharing.to_all())
    olga = write_entity(store, a1, "Person", {"name": "Olga Freeman"}, Sharing.to_all())
    kept = write_entity(
        store,
        a1,
        "VictimRecord",
        {"victim": ivan, "exploitationCountry": "kz", "indicators": "ilo-deception"},
        INVESTIGATION_ONLY,
    )
    free = {"victim": olga, "exploitationCountry": "uy", "indicators": "ilo-isolation"}
    write_entity(store, a1, "VictimRecord", free, Sharing.to_all())
    store.add_user(SYSTEM, "support-b2", "B2", "analyst,victim-support")
    token = store.create_token(SYSTEM, "support-b2", "t")
    with TestClient(create_app(store, rate_limit=0, public_docs=True)) as client:
        yield client, {"Authorization": f"Bearer {token}"}, kept


def _get(client: TestClient, h: dict[str, str], route: str, **params: str) -> Any:
    answer = client.get(f"/api/v1/analysis/{route}", params=params, headers=h)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _cited(risk: dict[str, Any]) -> set[str]:
    return {r for row in risk["results"] for f in row["indicators"] for r in f["records"]}


def _countries(trends: dict[str, Any]) -> set[str]:
    return {c for caption, counts in trends["tables"].items() if "ountr" in caption for c in counts}


def test_answers_carry_the_marker_and_count_h0_values_only_for_their_purpose(
    world: tuple[TestClient, dict[str, str], str],
) -> None:
    client, h, kept = world
    for route in ROUTES:  # none declared: A1's investigation-only record is withheld
        assert _get(client, h, route)["withheld"] == {"A1": 1}, route
    risk, trends = _get(client, h, "risk"), _get(client, h, "trends")
    assert kept not in _cited(risk) and _cited(risk)  # Olga's evidence stays
    assert "uy" in _countries(trends) and "kz" not in _countries(trends)
    assert "ilo-deception" not in str(risk)

    for route in ROUTES:  # declared by parameter or by header: nothing withheld
        assert _get(client, h, route, purpose="investigation")["withheld"] == {}, route
    told = {**h, "Palermo-Purpose": "investigation"}
    risk, trends = _get(client, told, "risk"), _get(client, told, "trends")
    assert kept in _cited(risk)
    assert {"uy", "kz"} <= _countries(trends)
    # another purpose than the one stated withholds it again
    assert _get(client, h, "routes", purpose="court")["withheld"] == {"A1": 1}


def test_a_wrong_purpose_is_a_400_naming_the_field_and_the_marker_is_documented(
    world: tuple[TestClient, dict[str, str], str],
) -> None:
    client, h, _ = world
    for route in ROUTES:
        bad = client.get(f"/api/v1/analysis/{route}", params={"purpose": "investigaton"}, headers=h)
        assert bad.status_code == 400 and bad.json()["field"] == "purpose", route
    wrong = client.get("/api/v1/analysis/risk", headers={**h, "Palermo-Purpose": "fun"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "Palermo-Purpose"
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for route, model in zip(
        ROUTES, ("BrokersOut", "RoutesOut", "HotspotsOut", "TrendsOut", "RiskOut"), strict=True
    ):
        ok = spec["paths"][f"/api/v1/analysis/{route}"]["get"]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"]["$ref"].endswith(model), route
        assert "H0" in schemas[model]["properties"]["withheld"]["description"], model
