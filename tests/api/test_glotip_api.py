"""The GLOTIP submission and court outcomes over HTTP (issue 20): roles, bad input, the
trace returning only records the caller may read, audit rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import openpyxl
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.analysis.statistics import SUSPECT_TOPIC
from palermo.api.app import create_app
from palermo.coordination.victims import SENSITIVE
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import audit_log
from tests.store.factories import SYSTEM, setup_agencies

CONVICTED = "Persons convicted/Total/Total/Total/Total"
PROSECUTED = "Persons prosecuted/Total/Total/Total/Total"
SUBMISSION = "/api/v1/glotip/submission"


def headers(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 't')}"}


def suspect(store: Store, viewer: Viewer, name: str, sharing: Sharing) -> str:
    props = {"name": name, "gender": "male", "topics": SUSPECT_TOPIC}
    return write_entity(store, viewer, "Person", props, sharing, kind="p")


def outcome(**over: str) -> dict[str, str]:
    return {"verdict": "convicted", "prosecution_date": "2023-02-01",
            "verdict_date": "2023-09-10", "offence_code": "02041",
            "exploitation_form": "sexual-exploitation", "court": "LG Berlin"} | over  # fmt: skip


def world(store: Store) -> tuple[TestClient, dict[str, Viewer]]:
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",)})
    viewers["support"] = store.add_user(
        SYSTEM, "support-de-bka", "DE-BKA", "victim-support"
    ).viewer()
    store.add_user(SYSTEM, "admin-de-bka", "DE-BKA", "admin")
    return TestClient(create_app(store)), viewers


def values(body: dict[str, object]) -> dict[str, str]:
    return {c["cell"]: c["value"] for c in body["cells"]}  # type: ignore[attr-defined]


def test_a_recorded_conviction_moves_the_submission_and_traces_to_its_record(
    store: Store,
) -> None:
    client, v = world(store)
    de = headers(store, "analyst-de-bka")
    person = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all())
    before = client.get(SUBMISSION, params={"year": 2023}, headers=de).json()
    assert CONVICTED not in values(before)
    made = client.post("/api/v1/court-outcomes", headers=de, json=outcome(defendant=person))
    assert made.status_code == 201, made.text
    oid = made.json()["id"]
    after = client.get(SUBMISSION, params={"year": 2023}, headers=de).json()
    assert after["agency"] == "DE-BKA" and after["country"] == "DEU" and after["year"] == 2023
    assert values(after)[CONVICTED] == "<5" and values(after)[PROSECUTED] == "<5"
    assert values(after)["Persons convicted/Total/Total/Male/Total"] == "<5"
    assert "Persons convicted/by form of exploitation/Sexual exploitation/Total/Total" in values(
        after
    )
    assert after["withheld"] and "victim-support" in after["withheld"][0]  # an analyst
    assert CONVICTED not in values(client.get(SUBMISSION, params={"year": 2022}, headers=de).json())
    trace = client.get(f"{SUBMISSION}/trace", params={"year": 2023, "cell": CONVICTED}, headers=de)
    assert trace.status_code == 200
    body = trace.json()
    assert (body["cell"], body["value"]) == (CONVICTED, "<5")
    assert [(r["id"], r["schema"]) for r in body["records"]] == [(oid, "CourtOutcome")]
    # the outcome is the agency's own, shared with it alone by default
    nl = headers(store, "analyst-nl-kmar")
    assert client.get(f"/api/v1/entities/{oid}", headers=nl).status_code == 404
    actions = audit_actions(store)
    assert ("analyst-de-bka", "glotip.submission") in actions
    assert ("analyst-de-bka", "glotip.trace") in actions


def test_downloads_are_the_glotip_layout(store: Store) -> None:
    client, v = world(store)
    de = headers(store, "analyst-de-bka")
    person = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.owner_only())
    client.post("/api/v1/court-outcomes", headers=de, json=outcome(defendant=person))
    csv = client.get(SUBMISSION, params={"year": 2023, "format": "csv"}, headers=de)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    line = next(r for r in csv.text.splitlines() if "Persons convicted,Total,Total,Total" in r)
    assert line.startswith("DEU,") and ",2023,Counts,<5," in line
    xlsx = client.get(SUBMISSION, params={"year": 2023, "format": "xlsx"}, headers=de)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [[str(c or "") for c in r] for r in sheet.iter_rows(values_only=True)]
    assert any(r[4] == "Persons convicted" and r[11] == "<5" for r in rows[3:])


def test_roles_victim_tables_and_no_data_role(store: Store) -> None:
    client, v = world(store)
    person = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.owner_only())
    props = {"victim": person, "registrationYear": "2023", "exploitationForm": "sexual"}
    write_entity(store, v["support"], "VictimRecord", props, Sharing.owner_only(SENSITIVE))
    support = client.get(
        SUBMISSION, params={"year": 2023}, headers=headers(store, "support-de-bka")
    )
    assert support.json()["withheld"] == []
    assert values(support.json())["Detected trafficking victims/Total/Total/Total/Total"] == "<5"
    analyst = client.get(
        SUBMISSION, params={"year": 2023}, headers=headers(store, "analyst-de-bka")
    )
    assert not any(c.startswith("Detected") for c in values(analyst.json()))
    victims = "Detected trafficking victims/Total/Total/Total/Total"
    hidden = client.get(f"{SUBMISSION}/trace", params={"year": 2023, "cell": victims},
                        headers=headers(store, "analyst-de-bka"))  # fmt: skip
    assert hidden.status_code == 404 and hidden.json()["field"] == "cell"
    admin = headers(store, "admin-de-bka")
    assert client.get(SUBMISSION, params={"year": 2023}, headers=admin).status_code == 403
    assert client.post("/api/v1/court-outcomes", headers=admin,
                       json=outcome(defendant=person)).status_code == 403  # fmt: skip
    assert client.get(SUBMISSION, params={"year": 2023}).status_code == 401


def test_bad_year_and_cell_are_422_naming_the_field(store: Store) -> None:
    client, _ = world(store)
    de = headers(store, "analyst-de-bka")
    for year in ("1999", "20x3", "2101"):
        r = client.get(SUBMISSION, params={"year": year}, headers=de)
        assert r.status_code == 422 and r.json()["field"] == "year", r.text
    r = client.get(SUBMISSION, params={"year": 2023, "format": "pdf"}, headers=de)
    assert r.status_code == 422 and r.json()["field"] == "format"
    r = client.get(f"{SUBMISSION}/trace", params={"year": 2023, "cell": "Persons convicted/Total"},
                   headers=de)  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "cell"
    assert r.json()["detail"].startswith("cell: ")
    r = client.get(f"{SUBMISSION}/trace", params={"cell": CONVICTED}, headers=de)
    assert r.status_code == 422 and r.json()["field"] == "year"
    r = client.get(f"{SUBMISSION}/trace", params={"year": 2023, "cell": CONVICTED}, headers=de)
    assert r.status_code == 404 and r.json()["field"] == "cell"  # no conviction: no cell


def test_court_outcome_refusals_name_the_field(store: Store) -> None:
    client, v = world(store)
    de, nl = headers(store, "analyst-de-bka"), headers(store, "analyst-nl-kmar")
    mine = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all())
    secret = suspect(store, v["DE-BKA"], "Oleg Secret", Sharing.owner_only())
    cases = [
        (de, outcome(defendant=mine, verdict_date="2023-01-31"), 422, "verdict_date"),
        (de, outcome(defendant=mine, verdict="guilty"), 422, "verdict"),
        (de, outcome(defendant=mine, offence_code="0201"), 422, "offence_code"),
        (de, outcome(defendant=mine, prosecution_date="2023-02-30"), 422, "prosecution_date"),
        (de, outcome(defendant=mine, verdict_date=""), 422, "verdict_date"),
        (de, outcome(defendant=mine, verdict="pending"), 422, "verdict_date"),
        (de, outcome(defendant=mine, exploitation_form="basket-weaving"), 422, "exploitation_form"),
        (de, outcome(defendant=mine, sharing="agency:XX-NONE"), 422, "sharing"),
        (de, outcome(defendant=mine, verdict_date="2999-01-01"), 422, "verdict_date"),
        (nl, outcome(defendant=secret), 404, "defendant"),  # NL cannot read it
        (nl, outcome(defendant=mine), 422, "defendant"),  # not NL's own record
    ]
    for who, body, status, field in cases:
        r = client.post("/api/v1/court-outcomes", headers=who, json=body)
        assert (r.status_code, r.json().get("field")) == (status, field), (body, r.text)
    pending = outcome(defendant=mine, verdict="pending", verdict_date="")
    assert client.post("/api/v1/court-outcomes", headers=de, json=pending).status_code == 201


def test_the_routes_are_in_the_openapi_description(store: Store) -> None:
    client, _ = world(store)
    spec = client.get("/openapi.json", headers=headers(store, "analyst-de-bka")).json()
    assert {SUBMISSION, f"{SUBMISSION}/trace", "/api/v1/court-outcomes"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"][f"{SUBMISSION}/trace"]["get"]["parameters"]}
    assert params == {"year", "cell"}


def audit_actions(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.username, audit_log.c.action, audit_log.c.detail))
        found = {(u, a) for u, a, d in rows if json.loads(d) is not None}
    return found
