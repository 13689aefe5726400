"""The values table writes out H0's stated purposes and H3's restriction next to the value,
escaped like every other text (ADR 0034)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.coord_forms_support import login


def test_values_table_shows_purposes_and_restriction(store: Store) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.set_password(SYSTEM, "analyst-b2", "pw-analyst-b2")
    marked = Sharing.parse("group:EU|H0:investigation,H0:court,H3:<b>no</b> contact%2C ever|B2")
    write_entity(store, viewers["A1"], "Person", {"name": "Ivan Petrov"}, marked, "a1.p1")
    write_entity(
        store, viewers["A1"], "Person", {"name": "Bare"}, Sharing.parse("all|H0,H3"), "a1.p2"
    )
    with TestClient(create_app(store)) as client:
        csrf = login(client, "analyst-b2", "pw-analyst-b2")
        # A1's values stated for investigation show to a session declaring it (ADR 0051)
        form = {"csrf_token": csrf, "purpose": "investigation"}
        assert client.post("/purpose", data=form, follow_redirects=False).status_code == 303
        page = client.get("/entities/a1.p1").text
        assert 'H0<span class="visually-hidden">: use for the stated purpose only' in page
        assert '<span class="handling-purpose">for court, investigation only</span>' in page
        assert (
            '<span class="handling-restriction">restriction: &lt;b&gt;no&lt;/b&gt; contact, ever'
            in page
        )
        assert "<b>no</b>" not in page  # the text is the provider's, never markup
        bare = client.get("/entities/a1.p2").text
        assert 'H3<span class="visually-hidden">: other restrictions apply' in bare
        assert "handling-purpose" not in bare and "handling-restriction" not in bare


def test_web_export_for_a_purpose_leaves_out_and_names_h0_records(store: Store) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.set_password(SYSTEM, "analyst-b2", "pw-analyst-b2")
    stated = Sharing.parse("group:EU|H0:investigation,H3:ask A1 first")
    write_entity(store, viewers["A1"], "Person", {"name": "Ivan Petrov"}, stated, "a1.p1")
    with TestClient(create_app(store)) as client:
        login(client, "analyst-b2", "pw-analyst-b2")
        plain = client.get("/entities/a1.p1/export.json").json()
        assert [e["id"] for e in plain] == ["a1.p1"]
        assert plain[0]["restrictions"] == ["ask A1 first"]
        ok = client.get("/entities/a1.p1/export.json?purpose=investigation").json()
        assert [e["id"] for e in ok["entities"]] == ["a1.p1"] and ok["refused"] == []
        court = client.get("/entities/a1.p1/export.json?purpose=court").json()
        assert court["entities"] == []
        assert court["refused"] == ["a1.p1: H0 value(s) of A1 stated for investigation only"]
        bad = client.get("/entities/a1.p1/export.json?purpose=fun")
        assert bad.status_code == 422 and bad.json()["detail"].startswith("purpose: 'fun'")
