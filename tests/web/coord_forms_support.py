"""Fixtures and helpers of the coordination-form tests (operations, MLA, notices, messages):
three agencies, A1 and B2 in the EU group, C3 outside it; one officer-analyst each (ada,
bea, cyd) who can log in; A1 shares a person with the EU group, B2 keeps one to itself."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.store.factories import SYSTEM

USERS = {"ada": "A1", "bea": "B2", "cyd": "C3"}
COUNTRIES = {"A1": "DE", "B2": "NL", "C3": "TH"}


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    for code, groups in (("A1", ("EU",)), ("B2", ("EU",)), ("C3", ())):
        store.add_agency(SYSTEM, Agency(code, f"Agency {code}", COUNTRIES[code], "police", groups))
    viewers = {}
    for user, code in USERS.items():
        added = store.add_user(SYSTEM, user, code, "analyst,officer", password=f"pw-{user}")
        viewers[code] = added.viewer()
    eu = Sharing.parse("group:EU")
    write_entity(store, viewers["A1"], "Person", {"name": "Ivan Petrov"}, eu, "a1.p1")
    write_entity(
        store, viewers["B2"], "Person", {"name": "Olga Berg"}, Sharing.owner_only(), "b2.p9"
    )
    return viewers


@pytest.fixture
def client(store: Store, world: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def login(client: TestClient, user: str, password: str = "") -> str:
    """Log in (ending any earlier session of this client); returns the session's CSRF token."""
    client.cookies.clear()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    form = {"username": user, "password": password or f"pw-{user}", "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/notices/new").text)
    assert found is not None
    return found.group(1)


def error_of(page: str, name: str) -> str:
    """The message placed next to the field ``name`` (tags dropped, entities unescaped)."""
    found = re.search(
        rf'<span class="error" id="{re.escape(name)}-error" role="alert">(.*?)</span>', page
    )
    assert found is not None, f"no message next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def writes_since(store: Store, before: int) -> list[tuple[str, str, str]]:
    """(action, user, agency) of the audit entries after the first ``before`` (reads left out)."""
    return [
        (e.action, e.username, e.agency)
        for e in store.audit_entries()[before:]
        if e.action not in ("read", "search")
    ]
