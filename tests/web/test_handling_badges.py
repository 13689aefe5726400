"""The values table shows each value's handling codes and grade, in words for screen readers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.coord_forms_support import login


def test_values_table_shows_codes_and_grade(store: Store) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.set_password(SYSTEM, "analyst-b2", "pw-analyst-b2")
    graded = Sharing.parse("group:EU|H1,H2|B2")
    write_entity(store, viewers["A1"], "Person", {"name": "Ivan Petrov"}, graded, "a1.p1")
    write_entity(store, viewers["A1"], "Person", {"name": "Plain"}, Sharing.to_all(), "a1.p2")
    with TestClient(create_app(store)) as client:
        login(client, "analyst-b2", "pw-analyst-b2")
        page = client.get("/entities/a1.p1").text
        assert '<span class="handling-code" title="not for use in court' in page
        assert 'H1<span class="visually-hidden">: not for use in court without' in page
        assert 'H2<span class="visually-hidden">: no onward dissemination' in page
        assert 'grade B2<span class="visually-hidden">: mostly reliable source, ' in page
        plain = client.get("/entities/a1.p2").text
        assert 'class="handling-code"' not in plain and "grade " not in plain
