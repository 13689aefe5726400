"""The link chart marks restricted nodes and links (ADR 0034), in Chromium: the legend is
there and the node table names each node's handling codes in words, its text alternative.
Uses the demo node of `test_browser.py` (same module-scoped fixtures); two linked persons
with H0/H3 markings are written before the first chart is built."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.web.test_browser import USER, browser, node, page, shot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


def test_restricted_nodes_are_named_in_the_table_and_explained(
    page: Any,  # noqa: F811
    node: dict[str, Any],  # noqa: F811
) -> None:
    store = Store.open(node["db"])
    viewer = store.viewer(USER)
    marked = Sharing.parse("all|H0:investigation,H3:ask the desk first")
    left = write_entity(store, viewer, "Person", {"name": "Zbigniew Handlingtest"}, marked)
    right = write_entity(store, viewer, "Person", {"name": "Yolanda Plaintest"}, Sharing.to_all())
    link = {"person": left, "associate": right}
    write_entity(store, viewer, "Associate", link, Sharing.parse("all|H1"))
    store.close()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    url = f"{node['base']}/api/v1/analysis/graph?ego={left}&hops=1"
    graph = httpx.get(url, cookies=cookies, timeout=300).json()  # builds the workspace
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert any("H1" in str(link.get("handling")) for link in graph["links"])
    assert any("H3:ask the desk first" in str(n.get("handling")) for n in nodes.values())
    page.goto(f"{node['base']}/graph?ego={left}&hops=1")
    page.wait_for_selector("#nodes tbody tr")
    assert page.locator("#handling-legend").is_visible()
    assert "Dashed border or line" in page.locator("#handling-legend").inner_text()
    assert page.locator("#nodes thead th", has_text="Handling").count() == 1
    row = page.locator("#nodes tbody tr", has_text="Zbigniew Handlingtest").first.inner_text()
    assert "H0 (for investigation only)" in row and "H3 (ask the desk first)" in row
    shot(page, "04b-link-chart-handling")
