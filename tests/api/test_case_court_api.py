"""``GET /api/v1/cases/{id}`` lists the court outcomes of the case's subjects (issue 20):
the rows of the web case page (`coordination.case_court`), with their corrections and
retractions, read for the declared purpose as the case is; another agency's outcome that
was not shared with the caller is not listed. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.api.test_glotip_api import headers, outcome, suspect, world


def recorded(client: TestClient, who: dict[str, str], person: str, **over: str) -> str:
    made = client.post(
        "/api/v1/court-outcomes", headers=who, json=outcome(defendant=person, **over)
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def listed(client: TestClient, who: dict[str, str], case: str, **extra: str) -> dict[str, Any]:
    got = client.get(f"/api/v1/cases/{case}", headers=who | extra)
    assert got.status_code == 200, got.text
    return {row["id"]: row for row in got.json()["court_outcomes"]}


def test_the_case_lists_its_subjects_court_outcomes(store: Store) -> None:
    client, v = world(store)
    de, nl = headers(store, "analyst-de-bka"), headers(store, "analyst-nl-kmar")
    ours = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all())
    theirs = suspect(store, v["NL-KMAR"], "Piet Bakker", Sharing.to_all())
    stranger = suspect(store, v["DE-BKA"], "Olga Other", Sharing.to_all())  # not a subject
    body = {"case_number": "BKA-1", "title": "Ring", "exploitation_form": "sexual-exploitation",
            "subjects": [ours, theirs]}  # fmt: skip
    made = client.post("/api/v1/cases", headers=de, json=body)
    assert made.status_code in (200, 201), made.text
    case = made.json()["id"]
    corrected = recorded(client, de, ours)
    fix = {"verdict": "acquitted", "reason": "appeal"}
    fixed = client.post(f"/api/v1/court-outcomes/{corrected}/correct", headers=de, json=fix)
    assert fixed.status_code == 200, fixed.text
    gone = recorded(client, de, ours, court="AG Mitte")
    client.post(f"/api/v1/court-outcomes/{gone}/retract", headers=de, json={"reason": "twice"})
    recorded(client, de, stranger)
    unshared = recorded(client, nl, theirs)  # NL-KMAR only (the default)
    shared = recorded(client, nl, theirs, verdict="pending", verdict_date="", sharing="all")
    rows = listed(client, de, case)
    assert set(rows) == {corrected, gone, shared}
    assert unshared not in rows  # another agency's outcome not shared with the caller
    assert rows[corrected]["verdict"] == "acquitted" and rows[corrected]["corrected"]
    assert [c["reason"] for c in rows[corrected]["changes"]] == ["appeal"]
    assert rows[corrected]["own"] and not rows[corrected]["retracted"]
    assert rows[gone]["retracted"] and rows[gone]["court"] == "AG Mitte"
    assert rows[gone]["verdict"] == "convicted" and rows[gone]["defendant"] == ours
    assert rows[shared]["defendant"] == theirs and rows[shared]["verdict"] == "pending"
    assert not rows[shared]["own"] and rows[shared]["verdict_date"] == ""
    assert rows[corrected]["offence_code"] == "02041"
    assert rows[corrected]["exploitation_form"] == "sexual-exploitation"
    # NL-KMAR, not on the team, cannot read the case at all: no outcome leaks that way
    assert client.get(f"/api/v1/cases/{case}", headers=nl).status_code in (400, 403, 404)


def test_the_outcomes_are_read_for_the_declared_purpose(store: Store) -> None:
    """An outcome whose values the recorder stated for investigation only shows them to a
    read declaring investigation (``Palermo-Purpose``) and to none other."""
    client, v = world(store)
    de, nl = headers(store, "analyst-de-bka"), headers(store, "analyst-nl-kmar")
    theirs = suspect(store, v["NL-KMAR"], "Piet Bakker", Sharing.to_all())
    body = {"case_number": "BKA-2", "title": "Ring", "exploitation_form": "forced-labour",
            "subjects": [theirs]}  # fmt: skip
    case = client.post("/api/v1/cases", headers=de, json=body).json()["id"]
    held = recorded(client, nl, theirs, sharing="all|H0:investigation")
    for_it = listed(client, de, case, **{"Palermo-Purpose": "investigation"})
    assert for_it[held]["verdict"] == "convicted" and for_it[held]["court"] == "LG Berlin"
    for purpose in ({}, {"Palermo-Purpose": "court"}):
        rows = listed(client, de, case, **purpose)
        shown = rows.get(held, {})
        assert shown.get("verdict", "") == "" and shown.get("court", "") == "", purpose


def test_the_answer_is_described_in_openapi(store: Store) -> None:
    client, _ = world(store)
    spec = client.get("/openapi.json", headers=headers(store, "analyst-de-bka")).json()
    answer = spec["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]["200"]
    ref = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schemas = spec["components"]["schemas"]
    field = schemas[ref]["properties"]["court_outcomes"]
    row = field["items"]["$ref"].rsplit("/", 1)[1]
    assert "court outcomes" in field["description"]
    props = set(schemas[row]["properties"])
    assert {"verdict", "offence_code", "retracted", "corrected", "changes", "own"} <= props
