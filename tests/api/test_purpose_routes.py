"""H0 over the API (ADR 0041): ``GET /api/v1/export`` needs a declared purpose and refuses
what the CLI refuses, the report leaves out values stated for other purposes and says what
it was produced for, and a screening reports the hit but withholds the values (telling the
owner). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.export_format import write_lines
from palermo.store.marked_export import marked_lines
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

INVESTIGATION_ONLY = Sharing.parse("all|H0:investigation,H3:ask A1 first")
ROW = "<th scope='row'>{}</th>"  # a category row of a report table


@pytest.fixture
def world(store: Store) -> Iterator[tuple[Store, TestClient, dict[str, str]]]:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    a1 = viewers["A1"]
    kept = write_entity(store, a1, "Person", {"name": "Ivan Restrictov"}, INVESTIGATION_ONLY)
    free = write_entity(store, a1, "Person", {"name": "Olga Freeman"}, Sharing.to_all())
    for person, country, sharing in ((kept, "kz", INVESTIGATION_ONLY), (free, "uy", None)):
        props = {"victim": person, "exploitationCountry": country}
        write_entity(store, a1, "VictimRecord", props, sharing or Sharing.to_all())
    report = {"documentNumber": "ZX1234567", "reportStatus": "stolen"}
    write_entity(store, a1, "DocumentReport", report, INVESTIGATION_ONLY)
    store.add_user(SYSTEM, "support-b2", "B2", "analyst,victim-support")
    token = store.create_token(SYSTEM, "support-b2", "t")
    with TestClient(create_app(store, rate_limit=0, public_docs=True)) as client:
        yield store, client, {"Authorization": f"Bearer {token}"}


def test_api_export_needs_a_purpose_and_refuses_what_the_cli_refuses(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    store, client, h = world
    missing = client.get("/api/v1/export", headers=h)
    assert missing.status_code == 422 and missing.json()["field"] == "purpose"
    typo = client.get("/api/v1/export", params={"purpose": "investigaton"}, headers=h)
    assert typo.status_code == 400 and typo.json()["field"] == "purpose"
    court = client.get("/api/v1/export", params={"purpose": "court"}, headers=h)
    assert court.status_code == 200 and court.headers["palermo-purpose"] == "court"
    assert court.headers["palermo-refused-count"] == "3"
    assert "H0 value(s) of A1 stated for investigation only" in court.headers["palermo-refused"]
    lines = [json.loads(x) for x in court.text.splitlines()]
    assert all("Ivan Restrictov" not in json.dumps(x) for x in lines)
    assert any(x["properties"].get("name") == ["Olga Freeman"] for x in lines)
    # byte for byte what the CLI's writer makes of the same lines
    viewer = store.viewer("support-b2")
    for fmt in ("ftm", "csv"):
        cli = io.StringIO()
        write_lines(marked_lines(store, viewer, purpose="court"), fmt, cli)
        api = client.get("/api/v1/export", params={"purpose": "court", "format": fmt}, headers=h)
        assert api.text == cli.getvalue()
    allowed = client.get("/api/v1/export", params={"purpose": "investigation"}, headers=h)
    assert allowed.headers["palermo-refused-count"] == "0"
    ivan = [json.loads(x) for x in allowed.text.splitlines() if "Ivan Restrictov" in x]
    assert ivan and ivan[0]["restrictions"] == ["ask A1 first"]  # H3 travels in words
    paths = client.get("/openapi.json").json()["paths"]
    documented = paths["/api/v1/export"]["get"]
    assert "application/x-ndjson" in documented["responses"]["200"]["content"]
    assert "example" in documented["responses"]["200"]["content"]["text/csv"]
    assert client.get("/api/v1/export", params={"purpose": "court"}).status_code == 401


def test_report_uses_only_values_its_purpose_may_use_and_says_so(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    _, client, h = world
    default = client.get("/api/v1/analysis/report", headers=h)
    assert default.status_code == 200
    assert "Produced for the purpose: analysis." in default.text
    assert ROW.format("uy") in default.text and ROW.format("kz") not in default.text
    assert "1 victim records" in default.text
    stats = client.get("/api/v1/analysis/report", params={"purpose": "investigation"}, headers=h)
    assert "Produced for the purpose: investigation." in stats.text
    assert ROW.format("kz") in stats.text and ROW.format("uy") in stats.text
    assert "2 victim records" in stats.text
    bad = client.get("/api/v1/analysis/report", params={"purpose": "fun"}, headers=h)
    assert bad.status_code == 400 and bad.json()["field"] == "purpose"


def test_screening_reports_the_hit_withholds_the_values_and_tells_the_owner(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    store, client, h = world
    body = {"name": "IVAN RESTRICTOV", "purpose": "border check"}
    found = client.post("/api/v1/screening/person", json=body, headers=h).json()
    hit = [c for c in found if c["id"].startswith("a1.")]
    assert hit, "the hit is reported"
    assert hit[0]["names"] == [] and "Ivan Restrictov" not in json.dumps(found)
    assert any(f.startswith("H0: values withheld (name)") for f in hit[0]["flags"]), hit
    assert {f["explanation"] for f in hit[0]["features"] if f["name"] == "name"} == {
        "withheld: H0 (stated for other purposes)"
    }
    for_investigation = {**body, "purpose": "investigation"}
    shown = client.post("/api/v1/screening/person", json=for_investigation, headers=h).json()
    assert [c["names"] for c in shown if c["id"] == hit[0]["id"]] == [["Ivan Restrictov"]]
    document = {"number": "ZX1234567", "purpose": "border check"}
    checked = client.post("/api/v1/screening/document", json=document, headers=h).json()
    assert checked["status"] == "withheld" and checked["agencies"] == ["A1"]
    manifest = {"passengers": [{"name": "Ivan Restrictov", "document_number": "ZX1234567"}]}
    screened = client.post("/api/v1/screening/manifest", json=manifest, headers=h).json()
    passenger = screened["passengers"][0]
    assert passenger["document_status"] == "withheld" and passenger["risk"] > 0
    assert "Ivan Restrictov" not in json.dumps(passenger["candidates"])
    with store.engine.connect() as conn:
        told = conn.execute(
            sa.select(hit_notice.c.record_id, hit_notice.c.purpose).where(
                hit_notice.c.owner_agency == "A1"
            )
        ).all()
    purposes = {str(r.record_id): str(r.purpose) for r in told}
    assert purposes[hit[0]["id"]] == "border check [screening; H0 values withheld from the answer]"
