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


def test_profile_chart_carries_each_node_and_link_marking(store: Store) -> None:
    """The small chart on the profile page and its list name what a code restricts, as the
    link chart page does (ADR 0034): the link's own codes and the far record's."""
    import html
    import json
    import re

    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.set_password(SYSTEM, "analyst-b2", "pw-analyst-b2")
    a1, free = viewers["A1"], Sharing.to_all()
    write_entity(store, a1, "Person", {"name": "Yolanda Ego"}, free, "a1.ego")
    h3 = Sharing.parse("all|H3:ask the desk first|B2")
    write_entity(store, a1, "Person", {"name": "Zbigniew Far"}, h3, "a1.far")
    write_entity(store, a1, "Person", {"name": "Xaver Plain"}, free, "a1.plain")
    link = {"person": "a1.ego", "associate": "a1.far"}
    write_entity(store, a1, "Associate", link, Sharing.parse("all|H1"), "a1.l1")
    write_entity(
        store, a1, "Associate", {"person": "a1.ego", "associate": "a1.plain"}, free, "a1.l2"
    )
    with TestClient(create_app(store)) as client:
        login(client, "analyst-b2", "pw-analyst-b2")
        page = client.get("/entities/a1.ego").text
    found = re.search(r'data-chart="([^"]*)"', page)
    assert found is not None
    chart = json.loads(html.unescape(found.group(1)))
    nodes = {n["id"]: n["handling"] for n in chart["nodes"]}
    assert nodes["a1.far"].startswith("H3:ask the desk first|B2")
    assert nodes["a1.ego"] == "|" and nodes["a1.plain"] == "|"
    edges = {e["target"]: e["handling"] for e in chart["edges"]}
    assert edges == {"a1.far": "H1|", "a1.plain": "|"}
    listed = page.split('id="chart"', 1)[1].split("</ul>", 1)[0]
    assert "(link restricted: H1)" in listed
    assert "(restricted: H3 (ask the desk first))" in listed
    assert listed.count("restricted") == 2  # the plain link and record say nothing


def test_restriction_words_only_for_codes() -> None:
    from palermo.web.render import restriction_words

    assert restriction_words("") == "" and restriction_words("|B2") == ""
    assert restriction_words("H0:analysis,H1|A1") == "H0 (for analysis only), H1"
