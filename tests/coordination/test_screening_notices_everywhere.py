"""Every screening hit notifies its owner on every interface (issue 19): the CLI
(``palermo screen``), the web screening page and the API create the same hit notices, with
the same purpose text and the same ``hit.notice`` audit rows, for the same screening. SQLite
and PostgreSQL.

Before, the CLI and the web document and MRZ checks told only owners whose values H0 had
withheld, and the MRZ check on the API told no one; so an owner learnt of a hit on its
records only if the screener happened to use the API.

The notices compared are the rows (owner, record, searching agency, channel, purpose, hits)
and the audit rows (agency, user, action, record, owner, channel, purpose) a screening
leaves; the notice ids are left out (rows are deleted between interfaces).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.cli.test_cli import palermo
from tests.conftest import wipe
from tests.match.test_mrz_entry_points import td3
from tests.store.factories import SYSTEM

SCREENER, SCREENER_AGENCY = "scr", "B2"
AGENCIES = {"A1": ("EU",), "B2": ("EU",), "C3": ()}
SCOPES = ("all", "group:EU", "owner", "B2", "all|H0:investigation")
SURNAMES = ("Petrov", "Haddad", "Nguyen", "Okafor")
INTERFACES = ("api", "cli", "web")
Screening = tuple[str, str, str | None]  # kind (person, document, mrz, manifest), text, purpose


def setup_world(store: Store, records: list[tuple[str, str, str, int]]) -> None:
    """Agencies, the screening user (B2, with a password for the page), and ``records``:
    (owner, kind, scope, n) as a person ``Olga <surname n>`` holding passport ``XK000000n``,
    or a stolen-document report on that number."""
    for code, groups in AGENCIES.items():
        store.add_agency(SYSTEM, Agency(code, f"Agency {code}", "DE", "police", groups))
        store.add_user(SYSTEM, f"analyst-{code.lower()}", code, "analyst")
    store.add_user(SYSTEM, SCREENER, SCREENER_AGENCY, "analyst,officer", password="pw-scr")
    for i, (owner, kind, scope, n) in enumerate(records):
        eid, sharing = f"{owner.lower()}.r{i}", Sharing.parse(scope)
        if kind == "person":
            props = {"name": f"Olga {SURNAMES[n % len(SURNAMES)]}", "passportNumber": number(n)}
            stmts = build(owner, eid, "Person", props, sharing)
        else:
            report = {"documentNumber": number(n), "reportStatus": "stolen"}
            stmts = build(owner, eid, "DocumentReport", report, sharing)
        store.write(viewer_of(store, f"analyst-{owner.lower()}"), stmts)


def viewer_of(store: Store, username: str) -> Viewer:
    user = store.user(username)
    assert user is not None
    return user.viewer()


def number(n: int) -> str:
    return f"XK{n:07d}"


def told(store: Store, since: int) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The notices now in the table, and the hit-notice audit rows written since ``since``."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(hit_notice)).all()
    notices = {
        (r.owner_agency, r.record_id, r.searcher_agency, r.channel, r.purpose, r.hits) for r in rows
    }
    audit = set()
    for e in store.audit_entries()[since:]:
        if e.action.startswith("hit."):
            d = json.loads(e.detail)
            row = (e.agency, e.username, e.action, e.target, d["owner"], d["channel"], d["purpose"])
            audit.add(row)
    return notices, audit


def forget_notices(store: Store) -> int:
    """Delete the notices (the next interface starts from none); returns the audit length."""
    with store.engine.begin() as conn:
        conn.execute(hit_notice.delete())
    return len(store.audit_entries())


def manifest_csv(text: str) -> str:
    return f"name,document_number\nOlga {text},{text}\n"


class Interfaces:
    """One screening through the API, the CLI or the web page, as the screener."""

    def __init__(self, store: Store, url: str, client: TestClient, tmp: Path) -> None:
        self.store, self.url, self.client, self.tmp = store, url, client, tmp
        token = store.create_token(SYSTEM, SCREENER, "t")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.csrf = ""

    def screen(self, interface: str, s: Screening) -> None:
        getattr(self, interface)(*s)

    def api(self, kind: str, text: str, purpose: str | None) -> None:
        post, h = self.client.post, self.headers
        if kind == "person":
            got = post(
                "/api/v1/screening/person", json={"name": text, "purpose": purpose}, headers=h
            )
        elif kind == "document":
            body = {"number": text, "purpose": purpose}
            got = post("/api/v1/screening/document", json=body, headers=h)
        elif kind == "mrz":
            got = post("/api/v1/screening/mrz", json={"mrz": td3(text)}, headers=h)
        else:
            params = {"purpose": purpose} if purpose else {}
            body = manifest_csv(text).encode()
            got = post("/api/v1/screening/manifest.csv", content=body, params=params, headers=h)
        assert got.status_code == 200, got.text

    def cli(self, kind: str, text: str, purpose: str | None) -> None:
        said = ["--purpose", purpose] if purpose is not None else []
        if kind == "mrz":
            args = ["mrz", td3(text)]
        elif kind == "manifest":
            path = self.tmp / "manifest.csv"
            path.write_text(manifest_csv(text), encoding="utf-8")
            args = ["manifest", str(path), *said]
        else:
            args = [kind, text, *said]
        code, out = palermo(self.url, "screen", *args, "--as", SCREENER, "--json")
        assert code in (0, 3, 4), out  # 3: reported, 4: failed checks

    def web(self, kind: str, text: str, purpose: str | None) -> None:
        assert purpose is None, "the screening page declares no purpose"
        if not self.csrf:
            self.csrf = web_login(self.client)
        form = {"csrf_token": self.csrf}
        if kind == "manifest":
            files = {"manifest": ("m.csv", manifest_csv(text).encode(), "text/csv")}
            got = self.client.post("/screening/manifest", data=form, files=files)
        else:
            field = {"person": "name", "document": "number", "mrz": "mrz"}[kind]
            value = td3(text) if kind == "mrz" else text
            got = self.client.post(f"/screening/{kind}", data={**form, field: value})
        assert got.status_code == 200, got.text


def web_login(client: TestClient) -> str:
    """Log the screener in on the page; returns the session's CSRF token."""
    first = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert first is not None
    form = {"username": SCREENER, "password": "pw-scr", "csrf_token": first.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/screening").text)
    assert found is not None
    return found.group(1)


def each_interface(
    store: Store, url: str, tmp: Path, screenings: list[Screening], interfaces: tuple[str, ...]
) -> dict[str, tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]]:
    """What each interface's run of ``screenings`` told, each from no notices."""
    out = {}
    with TestClient(create_app(store, rate_limit=0)) as client:
        via = Interfaces(store, url, client, tmp)
        for interface in interfaces:
            since = forget_notices(store)
            for s in screenings:
                via.screen(interface, s)
            out[interface] = told(store, since)
    return out


@pytest.fixture
def world(store: Store) -> Store:
    """A1 shares Olga Petrov (passport XK0000000) and a report of XK0000001 stolen with the
    EU group, and a person stated for investigation only with everyone; B2 holds its own."""
    setup_world(
        store,
        [
            ("A1", "person", "group:EU", 0),
            ("A1", "report", "group:EU", 1),
            ("C3", "person", "all|H0:investigation", 2),
            ("B2", "person", "all", 3),
        ],
    )
    return store


@pytest.mark.parametrize(
    "screening",
    [
        ("person", "Olga Petrov", None),
        ("person", "Olga Nguyen", "border check"),
        ("document", number(1), None),
        ("mrz", number(1), None),
        ("manifest", number(0), "border check"),
    ],
)
def test_the_cli_tells_the_owner_exactly_what_the_api_tells(
    world: Store, backend_url: str, tmp_path: Path, screening: Screening
) -> None:
    got = each_interface(world, backend_url, tmp_path, [screening], ("api", "cli"))
    notices, audit = got["api"]
    assert notices, "the API told an owner"  # the fixture's records are hit
    assert all(n[0] != SCREENER_AGENCY and n[2] == SCREENER_AGENCY for n in notices)
    assert {a[2] for a in audit} == {"hit.notice"} and {a[1] for a in audit} == {SCREENER}
    assert got["cli"] == got["api"]


@pytest.mark.parametrize(
    "screening",
    [
        ("person", "Olga Petrov", None),
        ("document", number(1), None),
        ("mrz", number(1), None),
        ("manifest", number(0), None),
    ],
)
def test_the_page_tells_the_owner_exactly_what_the_api_tells(
    world: Store, backend_url: str, tmp_path: Path, screening: Screening
) -> None:
    got = each_interface(world, backend_url, tmp_path, [screening], ("api", "web"))
    assert got["api"][0], "the API told an owner"
    assert got["web"] == got["api"]


def test_a_withheld_hit_is_told_with_the_purpose_marked_on_every_interface(
    world: Store, backend_url: str, tmp_path: Path
) -> None:
    """C3's Olga Nguyen is stated for investigation only: a screening for another purpose
    gets the hit, not the name, and C3 is told so; on the page (no purpose) too."""
    screening: Screening = ("person", "Olga Nguyen", None)
    got = each_interface(world, backend_url, tmp_path, [screening], INTERFACES)
    expected = ("C3", "c3.r2", "B2", "screening", "[screening; H0 values withheld from the answer]")
    for interface in INTERFACES:
        assert {n[:5] for n in got[interface][0]} == {expected}, interface


RECORDS = st.lists(
    st.tuples(
        st.sampled_from(sorted(AGENCIES)),
        st.sampled_from(("person", "report")),
        st.sampled_from(SCOPES),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=5,
)
SCREENINGS = st.lists(
    st.one_of(
        st.tuples(st.just("person"), st.sampled_from(SURNAMES).map(lambda s: f"Olga {s}")),
        st.tuples(st.sampled_from(("document", "mrz", "manifest")), st.integers(0, 6).map(number)),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=RECORDS, asked=SCREENINGS)
def test_every_interface_tells_the_same_owners_the_same_notices(
    store: Store,
    backend_url: str,
    tmp_path: Path,
    records: list[tuple[str, str, str, int]],
    asked: list[tuple[str, str]],
) -> None:
    """Random worlds (owners, scopes, H0) and random screenings by B2: the API, the CLI and
    the page leave the same notices and audit rows; each notice is about another agency's
    record the screener may see, and every such record screened by its exact number is
    told to its owner."""
    wipe(store)
    setup_world(store, records)
    screenings: list[Screening] = [(kind, text, None) for kind, text in asked]
    got = each_interface(store, backend_url, tmp_path, screenings, INTERFACES)
    notices = got["api"][0]
    assert got["cli"] == got["api"] and got["web"] == got["api"]
    screener = viewer_of(store, SCREENER)
    visible = {e.id for e in store.entities(screener, limit=100)}
    assert all(n[0] != SCREENER_AGENCY and n[1] in visible for n in notices)
    numbers = {text for kind, text in asked if kind != "person"}
    reported = {
        f"{owner.lower()}.r{i}"
        for i, (owner, kind, _, n) in enumerate(records)
        if kind == "report" and owner != SCREENER_AGENCY and number(n) in numbers
    }
    assert reported & visible <= {n[1] for n in notices}, "a reported document hit is told"
