"""The header bar's purpose form (ADR 0051): CSRF-protected, validated against the coded
purposes, audited, and bound to the session that set it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.api.read_purpose import COOKIE
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.coord_forms_support import login

NAME = "Ivana Purposeform"
MARKER = "withheld: H0, stated for other purposes; ask A1"


def test_the_form_sets_checks_and_audits_the_session_purpose(store: Store) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    store.set_password(SYSTEM, "analyst-b2", "pw-analyst-b2")
    marked = Sharing.parse("all|H0:investigation")
    write_entity(store, viewers["A1"], "Person", {"name": NAME}, marked, "a1.p1")
    with TestClient(create_app(store)) as client:
        csrf = login(client, "analyst-b2", "pw-analyst-b2")
        page = client.get("/entities/a1.p1").text
        assert NAME not in page and MARKER in page  # none declared: deny by default
        assert 'id="session-purpose"' in page

        refused = client.post("/purpose", data={"purpose": "investigation"})
        assert refused.status_code == 403 and "csrf_token" in refused.text
        bad = client.post("/purpose", data={"csrf_token": csrf, "purpose": "investigaton"})
        assert bad.status_code == 400 and "investigaton" in bad.text

        form = {"csrf_token": csrf, "purpose": "investigation", "back": "/entities/a1.p1"}
        done = client.post("/purpose", data=form, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/entities/a1.p1"
        page = client.get("/entities/a1.p1").text
        assert NAME in page and MARKER not in page
        api = client.get("/api/v1/entities/a1.p1").json()  # the page's API calls follow it
        assert api["properties"]["name"][0]["value"] == NAME

        away = {"csrf_token": csrf, "purpose": "", "back": "//evil.example/x"}
        cleared = client.post("/purpose", data=away, follow_redirects=False)
        assert cleared.headers["location"] == "/"  # only a path on this site
        assert NAME not in client.get("/entities/a1.p1").text

        sealed = client.post("/purpose", data=form, follow_redirects=False).cookies[COOKIE]
        login(client, "analyst-b2", "pw-analyst-b2")  # a new session, the old cookie kept
        client.cookies.set(COOKIE, sealed)
        assert NAME not in client.get("/entities/a1.p1").text  # sealed to the old session
    declared = [
        (e.target, json.loads(e.detail))
        for e in store.audit_entries()
        if e.action == "purpose.declare"
    ]
    assert [t for t, _ in declared] == ["investigation", "(none)", "investigation"]
