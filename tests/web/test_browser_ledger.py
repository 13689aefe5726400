"""The identity ledger in a real browser (Debian's Chromium, as test_browser.py): on a small
node served by `palermo serve`, an analyst presses "Re-resolve", a record arrives that
bridges two identities, "Re-resolve" again shows the merge entry, Undo shows the undo entry
with the two identities apart again; the page passes axe-core (as
test_accessibility.py checks every page). Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from palermo.match import ledger
from palermo.store.store import Store
from tests.match.test_resolution import add
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.served import log_in, served
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
USER, PASSWORD = "lena", "pw-lena-ledger"


@pytest.fixture(scope="module")
def small_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make browser installs Debian's package)")
        pytest.skip("Debian's chromium is not installed (make browser)")
    db = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'node.db'}"
    store = Store.open(db)
    v = setup_agencies(store, {"A1": ()})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    add(store, v["A1"], "a1.one", "owner", name="Ivan Petrov", passportNumber="XK1234567")
    add(store, v["A1"], "a1.two", "owner", name="Ivan Petrov", phone="+7 912 345 6789")
    store.close()
    with served(db) as base:
        yield {"base": base, "db": db}


def test_resolve_see_the_merge_undo_it_see_the_split(
    browser: Any,  # noqa: F811
    small_node: dict[str, str],
) -> None:
    base, db = small_node["base"], small_node["db"]
    # CSP bypassed only so that axe-core can be injected for the accessibility check
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a resolve trains a model
    log_in(page, base, USER, PASSWORD)
    page.get_by_role("link", name="Identity ledger").click()
    page.wait_for_selector("#ledger-empty")

    page.get_by_role("button", name="Re-resolve").click()  # two identities, nothing merged
    page.wait_for_selector("#resolved")
    assert "0 new ledger entries" in page.locator("#resolved").inner_text()
    store = Store.open(db)
    viewer = store.viewer(USER)
    scope = ledger.scope_of(viewer)
    before = ledger.membership(store, scope)
    assert before["a1.one"] != before["a1.two"]
    add(store, viewer, "a1.three", "owner", name="Petrov Ivan",
        passportNumber="XK1234567", phone="+7 912 345 6789")  # fmt: skip

    page.get_by_role("button", name="Re-resolve").click()
    page.wait_for_selector("section.ledger-entry.merge")
    shot(page, "40-ledger-merge")
    merge = page.locator("section.ledger-entry.merge")
    text = merge.inner_text()
    assert "By model" in text and before["a1.one"] in text and before["a1.two"] in text
    assert merge.locator("a[href='/entities/a1.three']").count() >= 1  # a record link
    assert merge.locator("table.evidence tbody tr").count() >= 1

    merge.get_by_label("Reason").fill("father and son")
    merge.get_by_role("button", name="Undo merge").click()
    page.wait_for_selector("section.ledger-entry.undo")
    shot(page, "41-ledger-undone")
    undo = page.locator("section.ledger-entry.undo")
    after = undo.locator(".after li")
    assert after.count() == 2  # the split: two identities again
    assert before["a1.one"] in undo.locator(".after").inner_text()
    assert before["a1.two"] in undo.locator(".after").inner_text()
    assert "undone by" in page.locator("section.ledger-entry.merge").inner_text()
    found = violations(page, AXE.read_text(encoding="utf-8"))  # WCAG 2.1 AA, as every page
    assert not found, describe(found)
    now = ledger.membership(store, scope)
    assert now["a1.one"] == before["a1.one"] and now["a1.two"] == before["a1.two"]
    store.close()
    context.close()
