"""The name-free pre-check: an outside organisation submits a document number (or its keyed
hash) and country; the answer is the same bytes, status and padded time for a hit and a
miss; a hit opens a notice for the holding agency naming the submitter and the time; the
``precheck`` role is refused on every other route (authorisation-matrix style) and is
rate-limited per submitter.

A1 holds a stolen-passport report (unshared), a French ID card and a person's passport
number; B2 holds nothing; XX-AIR is an airline with a pre-check account made by the CLI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route
from typer.testing import CliRunner

from palermo.access.viewer import parse_roles
from palermo.api.app import create_app
from palermo.cli.main import app as cli
from palermo.coordination import hit_notices, precheck
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies

STOLEN = "C01X00T47"
ID_CARD = "FR7781234"
OWNER_ONLY = Sharing.owner_only()


@dataclass
class World:
    store: Store
    client: TestClient
    headers: dict[str, dict[str, str]]  # A1, B2 analysts; AIR the pre-check account


def _cli(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture
def world(store: Store, backend_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("PALERMO_PRECHECK_FLOOR_MS", "0")
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    a1 = viewers["A1"]
    store.write(
        a1,
        build("A1", "a1.report", "DocumentReport", {"documentNumber": STOLEN}, OWNER_ONLY)
        + build("A1", "a1.report", "DocumentReport", {"reportStatus": "stolen"}, OWNER_ONLY)
        + build("A1", "a1.report", "DocumentReport", {"country": "de"}, OWNER_ONLY)
        + build("A1", "a1.card", "Identification", {"number": ID_CARD, "country": "fr"}, OWNER_ONLY)
        + build(
            "A1", "a1.person", "Person", {"name": "Ana Lind", "idNumber": "P-55 10"}, OWNER_ONLY
        ),
    )
    token = _cli(backend_url, "precheck", "add", "XX-AIR", "--name", "Air X", "--country", "XX")
    headers = {
        code: {"Authorization": f"Bearer {store.create_token(SYSTEM, v.username, 't')}"}
        for code, v in viewers.items()
    }
    headers["AIR"] = {"Authorization": f"Bearer {token.splitlines()[-1]}"}
    return World(store, TestClient(create_app(store=store, rate_limit=0)), headers)


def _check(world: World, **body: str) -> tuple[int, bytes, dict[str, str]]:
    response = world.client.post("/api/v1/precheck", json=body, headers=world.headers["AIR"])
    shown = {k: v for k, v in response.headers.items() if k.lower() != "x-request-id"}
    return response.status_code, response.content, shown


def test_answer_is_identical_for_hit_and_no_hit(world: World, backend_url: str) -> None:
    key = bytes.fromhex(_cli(backend_url, "precheck", "key"))
    assert key == precheck.precheck_key(world.store)
    answers = {
        "hit by number": _check(world, document_number="c01x 00t47", country="DE"),
        "hit by digest": _check(
            world, document_digest=precheck.keyed_digest(key, STOLEN), country="de"
        ),
        "hit on an ID card": _check(world, document_number=ID_CARD, country="FR"),
        "hit on a person": _check(world, document_number="P5510", country="NL"),
        "miss by number": _check(world, document_number="C01X00T48", country="DE"),
        "miss by digest": _check(
            world, document_digest=precheck.keyed_digest(key, "NOPE1"), country="DE"
        ),
        "miss by country": _check(world, document_number=ID_CARD, country="DE"),
    }
    first = answers["hit by number"]
    assert first[0] == 202 and first[1] == precheck_answer()
    for label, answer in answers.items():
        assert answer == first, label  # status, body bytes and headers all equal

    notices = {n.record_id: n for n in hit_notices.received(world.store, world_viewer(world))}
    assert sorted(notices) == ["a1.card", "a1.person", "a1.report"]
    report = notices["a1.report"]
    assert (report.searcher_agency, report.channel, report.hits) == ("XX-AIR", "precheck", 2)
    assert report.purpose == "pre-check by precheck-xx-air@XX-AIR"  # who, and (created) when
    assert abs(time.time() - report.created_at.timestamp()) < 60
    b2 = world.store.viewer("analyst-b2")
    assert hit_notices.received(world.store, b2) == []
    # the audit holds the keyed digest of each submission, never the number
    checks = [e for e in world.store.audit_entries() if e.action == "precheck"]
    assert len(checks) == len(answers)
    assert not [e for e in checks if STOLEN in e.detail or STOLEN in e.target]


def precheck_answer() -> bytes:
    from palermo.api.precheck_routes import ANSWER

    return ANSWER


def world_viewer(world: World) -> object:
    return world.store.viewer("analyst-a1")


def test_answer_time_is_padded_to_the_floor(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALERMO_PRECHECK_FLOOR_MS", "120")
    for number in (STOLEN, "C01X00T48"):
        started = time.monotonic()
        assert _check(world, document_number=number, country="DE")[0] == 202
        assert time.monotonic() - started >= 0.12


def test_only_precheck_accounts_submit(world: World) -> None:
    body = {"document_number": STOLEN, "country": "DE"}
    assert world.client.post("/api/v1/precheck", json=body).status_code == 401
    for agency in ("A1", "B2"):
        refused = world.client.post("/api/v1/precheck", json=body, headers=world.headers[agency])
        assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "DE"}, "document_number"),
        (
            {"document_number": "X1", "document_digest": "0" * 64, "country": "DE"},
            "document_number",
        ),
        ({"document_number": "X1", "country": "Deutschland"}, "country"),
        ({"document_number": "X1", "country": "D1"}, "country"),
        ({"document_digest": "Z" * 64, "country": "DE"}, "document_digest"),
        ({"document_number": "X1!", "country": "DE"}, "document_number"),
    ],
)
def test_bad_input_names_the_field(world: World, body: dict[str, str], field: str) -> None:
    response = world.client.post("/api/v1/precheck", json=body, headers=world.headers["AIR"])
    assert response.status_code in (400, 422) and field in response.text, response.text


def test_rate_limited_per_submitter(
    world: World, monkeypatch: pytest.MonkeyPatch, backend_url: str
) -> None:
    monkeypatch.setenv("PALERMO_PRECHECK_RATE", "1")  # per minute: the burst, then refusals
    client = TestClient(create_app(store=world.store, rate_limit=0))
    body = {"document_number": "C01X00T48", "country": "DE"}
    statuses = [
        client.post("/api/v1/precheck", json=body, headers=world.headers["AIR"]).status_code
        for _ in range(25)
    ]
    assert statuses[:20] == [202] * 20 and set(statuses[20:]) == {429}
    other = _cli(backend_url, "precheck", "add", "YY-BANK", "--name", "B", "--country", "YY")
    own = {"Authorization": f"Bearer {other.splitlines()[-1]}"}
    assert client.post("/api/v1/precheck", json=body, headers=own).status_code == 202


def test_precheck_role_is_exclusive() -> None:
    with pytest.raises(ValueError, match="precheck"):
        parse_roles("precheck,analyst")
    assert parse_roles("precheck") == parse_roles(["precheck"])


def _concrete(path: str) -> str:
    for name, value in (
        ("{entity_id}", "a1.report"),
        ("{notice_id}", "1"),
        ("{case_id}", "a1.case"),
    ):
        path = path.replace(name, value)
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "x" + path[end + 1 :]
    return path


def all_routes(routes: list[Any]) -> list[Route]:
    """Every route, into included routers (FastAPI keeps those apart)."""
    found: list[Route] = []
    for route in routes:
        if isinstance(route, Route):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += all_routes(route.original_router.routes)
    return found


def test_precheck_role_refused_everywhere_else(world: World) -> None:
    """Every route and method of the app: the pre-check token gets 403, or exactly what a
    caller without any token gets (public pages, peer endpoints signed by nodes). No answer
    to it carries a record id or document number."""
    app = world.client.app
    air = world.headers["AIR"]
    checked = 0
    for route in all_routes(app.routes):  # type: ignore[attr-defined]
        if route.path == "/api/v1/precheck":
            continue
        path = _concrete(route.path)
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            if path.endswith("/stream") or path.endswith("/events"):
                anonymous = 401
            else:
                anonymous = world.client.request(method, path, follow_redirects=False).status_code
            response = world.client.request(method, path, headers=air, follow_redirects=False)
            status = response.status_code
            assert status == 403 or status == anonymous, (method, path, status, anonymous)
            if path.startswith("/api/"):
                assert status == 403, (method, path, status)
            assert "a1.report" not in response.text and STOLEN not in response.text
            checked += 1
    assert checked > 60  # the whole API and UI, not a sample
    sent = world.client.get("/api/v1/hit-notices/sent", headers=air)
    assert sent.status_code == 403


def test_digest_finds_numbers_written_after_the_first_check(world: World) -> None:
    """The digest map is extended from the search index as numbers are written."""
    key = precheck.precheck_key(world.store)
    later = "K99Z12345"
    assert _check(world, document_digest=precheck.keyed_digest(key, later), country="DE")[0] == 202
    a1 = world.store.viewer("analyst-a1")
    assert hit_notices.received(world.store, a1) == []
    world.store.write(
        a1, build("A1", "a1.new", "DocumentReport", {"documentNumber": later}, OWNER_ONLY)
    )
    assert _check(world, document_digest=precheck.keyed_digest(key, later), country="DE")[0] == 202
    assert [n.record_id for n in hit_notices.received(world.store, a1)] == ["a1.new"]
    # retracted: no longer held, no longer a hit (the next day's notice would not open)
    world.store.retract(a1, "a1.new")
    with world.store.engine.connect() as conn:
        assert precheck.holders(conn, later, "de") == []
        assert precheck.holders(conn, STOLEN, "de") == [hit_notices.HitRef("a1.report", "A1")]
