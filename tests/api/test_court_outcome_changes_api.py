"""Correcting and retracting court outcomes over HTTP (issue 20): the submission and its
trace follow, refusals are 422 naming the field (403/404 for who may not), the history is
readable after a retraction, and the routes are in the OpenAPI description. SQLite and
PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.api.test_glotip_api import (
    CONVICTED,
    PROSECUTED,
    SUBMISSION,
    headers,
    outcome,
    suspect,
    values,
    world,
)

LABOUR = "Persons convicted/by form of exploitation/Forced labour/Total/Total"
SEXUAL = "Persons convicted/by form of exploitation/Sexual exploitation/Total/Total"


def recorded(client: TestClient, who: dict[str, str], person: str, **over: str) -> str:
    made = client.post(
        "/api/v1/court-outcomes", headers=who, json=outcome(defendant=person, **over)
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def cells(client: TestClient, who: dict[str, str], year: int) -> dict[str, str]:
    return values(client.get(SUBMISSION, params={"year": year}, headers=who).json())


def traced(client: TestClient, who: dict[str, str], year: int, cell: str) -> list[str] | None:
    r = client.get(f"{SUBMISSION}/trace", params={"year": year, "cell": cell}, headers=who)
    return [x["id"] for x in r.json()["records"]] if r.status_code == 200 else None


def test_the_submission_follows_a_correction_and_a_retraction(store: Store) -> None:
    client, v = world(store)
    de = headers(store, "analyst-de-bka")
    person = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all())
    oid = recorded(client, de, person)
    assert cells(client, de, 2023)[SEXUAL] == "<5" and LABOUR not in cells(client, de, 2023)
    fixed = client.post(
        f"/api/v1/court-outcomes/{oid}/correct",
        headers=de,
        json={
            "offence_code": "02042",
            "exploitation_form": "forced-labour",
            "reason": "the judgment convicts for labour exploitation",
        },
    )
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert body["id"] == oid and body["change"] == "corrected"
    assert "offenceCode: 02041 -> 02042" in body["changed"]
    after = cells(client, de, 2023)
    assert after[LABOUR] == "<5" and SEXUAL not in after and after[CONVICTED] == "<5"
    assert traced(client, de, 2023, LABOUR) == [oid]
    assert traced(client, de, 2023, SEXUAL) is None  # no such cell any more
    gone = client.post(
        f"/api/v1/court-outcomes/{oid}/retract",
        headers=de,
        json={"reason": "entered for the wrong person"},
    )
    assert gone.status_code == 200 and gone.json()["change"] == "retracted"
    final = cells(client, de, 2023)
    assert CONVICTED not in final and PROSECUTED not in final and LABOUR not in final
    assert traced(client, de, 2023, CONVICTED) is None
    history = client.get(f"/api/v1/court-outcomes/{oid}/history", headers=de)
    assert history.status_code == 200
    assert [(h["change"], h["reason"], h["changed_by"], h["agency"]) for h in history.json()] == [
        ("corrected", "the judgment convicts for labour exploitation", "analyst-de-bka", "DE-BKA"),
        ("retracted", "entered for the wrong person", "analyst-de-bka", "DE-BKA"),
    ]
    assert "verdict: convicted" in history.json()[1]["changed"]
    again = client.post(f"/api/v1/court-outcomes/{oid}/retract", headers=de, json={"reason": "x"})
    assert again.status_code == 404 and again.json()["field"] == "outcome_id"


def test_a_field_left_out_keeps_its_value_and_an_empty_one_clears_it(store: Store) -> None:
    client, v = world(store)
    de = headers(store, "analyst-de-bka")
    oid = recorded(client, de, suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all()))
    r = client.post(
        f"/api/v1/court-outcomes/{oid}/correct",
        headers=de,
        json={"court": "", "reason": "no court known"},
    )
    assert r.status_code == 200 and r.json()["changed"] == ["court: LG Berlin -> (none)"]
    r = client.post(
        f"/api/v1/court-outcomes/{oid}/correct",
        headers=de,
        json={"verdict": "pending", "verdict_date": "", "reason": "appeal pending"},
    )
    assert r.status_code == 200
    assert set(r.json()["changed"]) == {
        "verdict: convicted -> pending",
        "verdictDate: 2023-09-10 -> (none)",
    }
    assert CONVICTED not in cells(client, de, 2023) and cells(client, de, 2023)[PROSECUTED] == "<5"


def test_refusals_name_the_field(store: Store) -> None:
    client, v = world(store)
    de, nl = headers(store, "analyst-de-bka"), headers(store, "analyst-nl-kmar")
    admin = headers(store, "admin-de-bka")
    person = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all())
    private = recorded(client, de, person)
    shared = recorded(client, de, person, sharing="all")
    url = "/api/v1/court-outcomes/{}/correct"
    cases = [
        (
            de,
            private,
            {"offence_code": "02041", "exploitation_form": "forced-labour", "reason": "x"},
            422,
            "offence_code",
        ),
        (de, private, {"verdict_date": "2023-01-01", "reason": "x"}, 422, "verdict_date"),
        (de, private, {"verdict": "guilty", "reason": "x"}, 422, "verdict"),
        (de, private, {"verdict": "pending", "reason": "x"}, 422, "verdict_date"),
        (de, private, {"court": "AG Mitte", "reason": " "}, 422, "reason"),
        (de, private, {"reason": "nothing"}, 422, "values"),
        (de, "de-bka.no-such", {"court": "AG", "reason": "x"}, 404, "outcome_id"),
        (nl, private, {"court": "AG", "reason": "x"}, 404, "outcome_id"),  # NL cannot read it
    ]
    for who, oid, body, status, field in cases:
        r = client.post(url.format(oid), headers=who, json=body)
        assert (r.status_code, r.json().get("field")) == (status, field), (body, r.text)
        if status == 422:
            assert r.json()["detail"].startswith(f"{field}: ")
    r = client.post(url.format(shared), headers=nl, json={"court": "AG", "reason": "x"})
    assert r.status_code == 403 and "recorded by DE-BKA" in r.json()["detail"]
    r = client.post(f"/api/v1/court-outcomes/{shared}/retract", headers=nl, json={"reason": "x"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/court-outcomes/{shared}/retract", headers=admin, json={"reason": "x"})
    assert r.status_code == 403  # no data role
    r = client.post(f"/api/v1/court-outcomes/{shared}/retract", headers=de, json={"reason": ""})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(f"/api/v1/court-outcomes/{shared}/retract", headers=de, json={})
    assert r.status_code == 422 and "reason" in r.text  # missing from the body
    # nothing was written by any refusal
    history = client.get(f"/api/v1/court-outcomes/{private}/history", headers=de).json()
    assert history == []


def test_a_new_outcome_with_a_code_of_another_form_is_refused(store: Store) -> None:
    client, v = world(store)
    de = headers(store, "analyst-de-bka")
    person = suspect(store, v["DE-BKA"], "Ivan Petrov", Sharing.to_all())
    body = outcome(defendant=person, offence_code="02041", exploitation_form="forced-labour")
    r = client.post("/api/v1/court-outcomes", headers=de, json=body)
    assert r.status_code == 422 and r.json()["field"] == "offence_code"
    assert "exploitation_form" in r.json()["detail"] and "02041" in r.json()["detail"]
    body = outcome(defendant=person, offence_code="0204", exploitation_form="forced-labour")
    assert client.post("/api/v1/court-outcomes", headers=de, json=body).status_code == 201


def test_the_routes_are_in_the_openapi_description(store: Store) -> None:
    client, _ = world(store)
    spec = client.get("/openapi.json", headers=headers(store, "analyst-de-bka")).json()
    paths = spec["paths"]
    for tail, method in (("correct", "post"), ("retract", "post"), ("history", "get")):
        path = f"/api/v1/court-outcomes/{{outcome_id}}/{tail}"
        assert method in paths[path], sorted(paths)
    correct = paths["/api/v1/court-outcomes/{outcome_id}/correct"]["post"]
    schema = correct["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = spec["components"]["schemas"][schema.rsplit("/", 1)[1]]["properties"]
    assert {"verdict", "offence_code", "exploitation_form", "reason"} <= set(fields)
