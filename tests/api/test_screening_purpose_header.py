"""The document, MRZ, person and manifest screenings take the ``Palermo-Purpose`` header as
every read does (ADR 0051 amendments): the header's purpose, when sent, is the H0 purpose and
wins over the body's ``purpose`` (the rule of the search route); without it the body's coded
purpose is, else ``screening``. The owners of records hit are told the body's text, else the
header's purpose; a header that is not a coded purpose is a 400 naming it. SQLite and
PostgreSQL (the fixture of `test_purpose_routes`: a report stolen and a person, both stated by
A1 for investigation only)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.store.store import Store
from palermo.store.tables import audit_log
from tests.api.test_purpose_routes import world
from tests.match.test_mrz_entry_points import td3

__all__ = ["world"]  # the fixture, used by name
NUMBER = "ZX1234567"
HEADER = "Palermo-Purpose"


def told(store: Store) -> list[str]:
    """The purpose of each hit A1 was told of, oldest first (the ``hit.notice`` and
    ``hit.repeat`` audit rows: a notice row counts the day's repeats up under its first
    purpose)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.detail)
            .where(audit_log.c.action.in_(("hit.notice", "hit.repeat")))
            .order_by(audit_log.c.seq)
        ).all()
    details = [json.loads(r.detail) for r in rows]
    return [str(d["purpose"]) for d in details if d["owner"] == "A1"]


def status(client: TestClient, h: dict[str, str], route: str, body: dict[str, str],
           header: str | None = None) -> str:  # fmt: skip
    """The report status the route answers (the MRZ check's is under ``document``)."""
    sent = h | ({HEADER: header} if header is not None else {})
    payload = {"number": NUMBER} if route == "document" else {"mrz": td3(NUMBER)}
    got = client.post(f"/api/v1/screening/{route}", json=payload | body, headers=sent)
    assert got.status_code == 200, got.text
    answer = got.json()
    return str(answer["status"] if route == "document" else answer["document"]["status"])


def test_the_header_declares_the_purpose_and_wins_over_the_body(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    store, client, h = world
    for route in ("document", "mrz"):
        assert status(client, h, route, {}) == "withheld"  # no purpose: "screening"
        assert status(client, h, route, {}, header="investigation") == "stolen"
        assert status(client, h, route, {"purpose": "investigation"}) == "stolen"
        # both given and different: the header's, as on every read (and on search)
        assert status(client, h, route, {"purpose": "investigation"}, header="court") == (
            "withheld"
        )
        assert status(client, h, route, {"purpose": "court"}, header="investigation") == "stolen"
        # a free-text body purpose with the header: the header's purpose, the body's text told
        assert status(client, h, route, {"purpose": "border check"}, header="investigation") == (
            "stolen"
        )
    document_told = told(store)[:5]
    assert document_told == [
        "[screening; H0 values withheld from the answer]",
        "investigation",  # the header's purpose, told when the body gives none
        "investigation",
        "investigation [court; H0 values withheld from the answer]",
        "court",  # the body's text is what the caller said; the read was for investigation
    ]
    assert told(store)[5] == "border check"
    assert told(store)[6:] == told(store)[:6]  # the MRZ check tells the same


def test_a_header_that_is_not_a_coded_purpose_is_a_400_naming_it(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    _, client, h = world
    for route, body in (("document", {"number": NUMBER}), ("mrz", {"mrz": td3(NUMBER)})):
        got = client.post(f"/api/v1/screening/{route}", json=body, headers=h | {HEADER: "x"})
        assert got.status_code == 400 and got.json()["field"] == HEADER, got.text


def test_the_routes_document_the_header(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    _, client, h = world
    paths = client.get("/openapi.json", headers=h).json()["paths"]
    for route in ("document", "mrz"):
        operation = paths[f"/api/v1/screening/{route}"]["post"]
        assert HEADER in {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "wins over the body's" in operation["description"]


RESTRICTOV = "Ivan Restrictov"  # A1's person, its name stated for investigation only


def names_answered(client: TestClient, h: dict[str, str], route: str, told: str | None = None,
                   header: str | None = None) -> list[str]:  # fmt: skip
    """The names the person or manifest screening answers for A1's Ivan Restrictov (the
    candidate is found either way; H0 decides whether its name is shown). ``told`` is the
    body's ``purpose`` (the query's for ``manifest.csv``)."""
    sent = h | ({HEADER: header} if header is not None else {})
    said = {"purpose": told} if told is not None else {}
    url = f"/api/v1/screening/{route}"
    if route == "person":
        got = client.post(url, json={"name": RESTRICTOV} | said, headers=sent)
    elif route == "manifest":
        body = {"passengers": [{"name": RESTRICTOV}]} | said
        got = client.post(url, json=body, headers=sent)
    else:
        csv = f"name\n{RESTRICTOV}\n".encode()
        got = client.post(url, content=csv, params=said, headers=sent)
    assert got.status_code == 200, got.text
    answer = got.json()
    found = answer if route == "person" else answer["passengers"][0]["candidates"]
    mine = [c for c in found if c["agency"] == "A1"]
    assert mine, answer  # the hit is reported whatever the purpose
    return sorted({n for c in mine for n in c["names"]})


def test_person_and_manifest_screenings_take_the_header_as_the_document_check(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    store, client, h = world
    shown = [RESTRICTOV]
    for route in ("person", "manifest", "manifest.csv"):
        assert names_answered(client, h, route) == []  # no purpose: "screening"
        assert names_answered(client, h, route, header="investigation") == shown
        assert names_answered(client, h, route, "investigation") == shown
        # both given and different: the header's, as on every read (and on search)
        assert names_answered(client, h, route, "investigation", header="court") == []
        assert names_answered(client, h, route, "court", header="investigation") == shown
        # a free-text purpose with the header: the header's purpose, the caller's text told
        assert names_answered(client, h, route, "border check", header="investigation") == shown
    per_route = told(store)
    assert len(per_route) == 18, per_route
    assert per_route[:6] == [
        "[screening; H0 values withheld from the answer]",
        "investigation",  # the header's purpose, told when the body gives none
        "investigation",
        "investigation [court; H0 values withheld from the answer]",
        "court",  # the body's text is what the caller said; the read was for investigation
        "border check",
    ]
    assert per_route[6:12] == per_route[:6] and per_route[12:] == per_route[:6]


def test_person_and_manifest_screenings_refuse_a_header_that_is_not_coded(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    _, client, h = world
    bad = h | {HEADER: "x"}
    for route, body in (
        ("person", {"name": RESTRICTOV}),
        ("manifest", {"passengers": [{"name": RESTRICTOV}]}),
    ):
        got = client.post(f"/api/v1/screening/{route}", json=body, headers=bad)
        assert got.status_code == 400 and got.json()["field"] == HEADER, got.text
    got = client.post("/api/v1/screening/manifest.csv", content=b"name\nx\n", headers=bad)
    assert got.status_code == 400 and got.json()["field"] == HEADER, got.text


def test_person_and_manifest_routes_document_the_header(
    world: tuple[Store, TestClient, dict[str, str]],
) -> None:
    _, client, h = world
    paths = client.get("/openapi.json", headers=h).json()["paths"]
    for route in ("person", "manifest", "manifest.csv"):
        operation = paths[f"/api/v1/screening/{route}"]["post"]
        assert HEADER in {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "wins over the" in operation["description"]
