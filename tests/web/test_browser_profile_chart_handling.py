"""The profile's small link chart marks restricted records and links as the link chart page
does (ADR 0034; docs/trust.md "What is left" named the gap), in Debian's Chromium: a person
linked by an H1 association to a person whose name carries an H3 restriction. The list
beside the chart (its text alternative) writes the codes out, the chart draws both dashed,
and an unrestricted link stays plain. The page passes axe-core. Screenshot in
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from palermo.web.render import id_path
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.served import logged_in_page, require_chromium, served
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
USER, PASSWORD = "rosa", "pw-rosa-chart"
EGO, RESTRICTED, PLAIN = "a1.ego", "a1.restricted", "a1.plain"


def _record(
    entity_id: str, schema: str, props: dict[str, str], sharing: Sharing
) -> list[Statement]:
    rows = [Statement(entity_id, schema, BASE, entity_id, "A1", entity_id, sharing)]
    return rows + [
        Statement(entity_id, schema, prop, value, "A1", entity_id, sharing)
        for prop, value in props.items()
    ]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium(CHROMIUM)
    db = f"sqlite:///{tmp_path_factory.mktemp('profile-chart') / 'node.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": ("EU",)})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    free, h1 = Sharing.to_all(), Sharing.parse("all|H1")
    h3 = Sharing.parse("all|H3:ask the desk first")
    rows = _record(EGO, "Person", {"name": "Yolanda Charttest"}, free)
    rows += _record(RESTRICTED, "Person", {"name": "Zbigniew Charttest"}, h3)
    rows += _record(PLAIN, "Person", {"name": "Xaver Charttest"}, free)
    rows += _record("a1.link1", "Associate", {"person": EGO, "associate": RESTRICTED}, h1)
    rows += _record("a1.link2", "Associate", {"person": EGO, "associate": PLAIN}, free)
    store.write(viewers["A1"], rows)
    store.close()
    with served(db) as base:
        yield base


def test_the_small_chart_dashes_what_a_handling_code_restricts(
    browser: Any,  # noqa: F811
    node: str,
) -> None:
    with logged_in_page(browser, node, USER, PASSWORD) as page:
        page.goto(f"{node}/entities/{id_path(EGO)}")
        page.wait_for_selector("#chart li")
        links = {
            text.split(" — ")[-1].split()[0]: text
            for text in page.locator("#chart li").all_inner_texts()
        }
        assert "link restricted: H1" in links["Zbigniew"]
        assert "restricted: H3 (ask the desk first)" in links["Zbigniew"]
        assert "restricted" not in links["Xaver"]  # a plain link and record stay plain
        page.wait_for_selector("#link-chart[data-restricted]")
        # drawn dashed: the H1 line and the H3 record (the ego and the plain pair are not)
        assert page.locator("#link-chart").get_attribute("data-restricted") == "2"
        assert (
            "Dashed border or line"
            in page.locator("section", has=page.locator("#chart")).inner_text()
        )
        found = violations(page, AXE.read_text(encoding="utf-8"))
        assert not found, describe(found)
        shot(page, "64-profile-chart-handling")
