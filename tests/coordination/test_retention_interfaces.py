"""`palermo retention` and `/api/v1/retention`: thin over coordination.retention, the owner's
queue only, decisions with reasons, one-line errors (both backends)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from palermo.api.app import create_app
from palermo.cli.common import CliError
from palermo.cli.main import app
from palermo.coordination import retention
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies
from tests.web.test_profile import login, section

runner = CliRunner()
EU = Sharing.parse("group:EU")


def run(store: Store, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), obj={"store": store})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_cli_sweep_list_keep_erase(store: Store) -> None:
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",)})
    store.write(viewers["DE-BKA"], person("DE-BKA", "p1", EU, name="Ivan Petrov"))
    store.write(viewers["DE-BKA"], person("DE-BKA", "p2", EU, name="Anna Berg"))
    code, out = run(store, "retention", "set", "DE-BKA", "--jurisdiction", "eu")
    assert code == 0 and "DE-BKA follows EU" in out
    code, out = run(store, "retention", "sweep", "--at", "2099-01-01", "--json")
    assert code == 0 and json.loads(out)["queued"] == [
        ["DE-BKA", "de-bka.p1"],
        ["DE-BKA", "de-bka.p2"],
    ]
    code, out = run(store, "retention", "list", "--as", "analyst-nl-kmar")
    assert code == 0 and "no records await review" in out
    code, out = run(store, "retention", "list", "--as", "analyst-de-bka", "--json")
    assert [i["entity_id"] for i in json.loads(out)] == ["de-bka.p1", "de-bka.p2"]
    code, out = run(store, "retention", "keep", "de-bka.p1", "--reason", "open case", "--as",
                    "analyst-de-bka")  # fmt: skip
    assert code == 0 and "kept: next review" in out
    code, out = run(store, "retention", "erase", "de-bka.p2", "--reason", "closed", "--as",
                    "analyst-de-bka")  # fmt: skip
    assert code == 0 and "2 statements retracted" in out
    assert store.entity(viewers["NL-KMAR"], "de-bka.p2") is None
    assert store.entity(viewers["NL-KMAR"], "de-bka.p1") is not None
    with pytest.raises(CliError, match="--at: 'yesterday' is not an ISO date"):
        run(store, "retention", "sweep", "--at", "yesterday")
    code, out = run(store, "retention", "periods", "NL")
    assert code == 0 and "maximum 5" in out


def test_api_queue_is_the_callers_and_decisions_need_a_reason(store: Store) -> None:
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",)})
    retention.set_jurisdiction(store, SYSTEM, "DE-BKA", "EU")
    store.write(viewers["DE-BKA"], person("DE-BKA", "p1", EU, name="Ivan Petrov"))
    retention.sweep(store, datetime.now(UTC) + timedelta(days=4 * 366))
    client = TestClient(create_app(store))
    de, nl = (
        {"Authorization": f"Bearer {store.create_token(SYSTEM, u, 't')}"}
        for u in ("analyst-de-bka", "analyst-nl-kmar")
    )
    assert [i["entity_id"] for i in client.get("/api/v1/retention", headers=de).json()] == [
        "de-bka.p1"
    ]
    assert client.get("/api/v1/retention", headers=nl).json() == []
    refused = client.post("/api/v1/retention/de-bka.p1/keep", headers=nl, json={"reason": "x"})
    assert refused.status_code == 404
    empty = client.post("/api/v1/retention/de-bka.p1/keep", headers=de, json={"reason": " "})
    assert empty.status_code in (400, 422) and "reason" in empty.text
    erased = client.post("/api/v1/retention/de-bka.p1/erase", headers=de, json={"reason": "done"})
    assert erased.status_code == 200 and erased.json()["retracted"] == 2
    assert client.get("/api/v1/entities/de-bka.p1", headers=nl).status_code == 404
    periods = client.get("/api/v1/retention/periods", headers=de).json()
    assert {p["jurisdiction"] for p in periods} >= {"EU", "DE", "NL"}


def test_the_dashboard_lists_the_owners_records_at_review(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.add_user(SYSTEM, "ada", "A1", "analyst", password="pw-ada")
    store.add_user(SYSTEM, "bea", "B2", "analyst", password="pw-bea")
    retention.set_jurisdiction(store, SYSTEM, "A1", "EU")
    store.write(viewers["A1"], person("A1", "p1", EU, name="Ivan Petrov"))
    retention.sweep(store, datetime.now(UTC) + timedelta(days=4 * 366))
    with TestClient(create_app(store)) as client:
        login(client, "ada")
        own = section(client.get("/").text, "retention")
        assert "a1.p1" in own and "person" in own
    with TestClient(create_app(store)) as client:
        login(client, "bea")
        other = section(client.get("/").text, "retention")
        assert "a1.p1" not in other and "No record of B2 awaits review" in other
