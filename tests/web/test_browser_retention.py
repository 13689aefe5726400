"""The retention review page in a real browser (Debian's Chromium, as test_browser.py): on
a small node served by `palermo serve` with two records at review, the owner first keeps
one without a reason (the message appears next to the reason field), then keeps it for two
years with a reason and erases the other; the page passes axe-core. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from palermo.coordination import retention
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.store.factories import SYSTEM, person, setup_agencies
from tests.web.served import log_in, served
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
USER, PASSWORD = "rosa", "pw-rosa-retention"
YEAR = timedelta(days=366)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make browser installs Debian's package)")
        pytest.skip("Debian's chromium is not installed (make browser)")
    db = f"sqlite:///{tmp_path_factory.mktemp('retention') / 'node.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": ()})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    own = Sharing.owner_only()
    a1 = viewers["A1"]
    store.write(a1, person("A1", "p1", own, name="Ivan Petrov"))
    store.write(a1, person("A1", "p2", own, name="Olga Berg"))
    # recorded six years ago (DE: a person is reviewed after 5), so the server's own sweep
    # keeps them queued
    with store.engine.begin() as conn:
        conn.execute(sa.update(statement).values(recorded_at=datetime.now(UTC) - 6 * YEAR))
    retention.sweep(store)
    store.close()
    with served(db) as base:
        yield {"base": base, "db": db}


def test_keep_with_a_reason_and_erase(
    browser: Any,  # noqa: F811
    node: dict[str, str],
) -> None:
    base = node["base"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, base, USER, PASSWORD)
    page.get_by_role("link", name="Retention review").click()
    page.wait_for_selector("section.retention-item")
    assert page.locator("section.retention-item").count() == 2
    found = violations(page, AXE.read_text(encoding="utf-8"))
    assert not found, describe(found)

    first = page.get_by_role("region", name="Decide on a1.p1")
    first.get_by_role("button", name="Keep").click()  # no reason
    page.wait_for_selector("#r1-reason-error")
    assert "reason" in page.locator("#r1-reason-error").inner_text()
    assert page.get_by_label("Reason").first.get_attribute("aria-invalid") == "true"
    shot(page, "50-retention-refused")

    first = page.get_by_role("region", name="Decide on a1.p1")
    first.get_by_label("Reason").fill("open case K-17")
    first.get_by_label("Keep for years").fill("2")
    first.get_by_role("button", name="Keep").click()
    page.wait_for_url(f"{base}/retention")
    assert page.locator("section.retention-item").count() == 1

    second = page.get_by_role("region", name="Decide on a1.p2")
    second.get_by_label("Reason").fill("no longer needed")
    second.get_by_role("button", name="Erase").click()
    page.wait_for_selector("#retention-empty")
    shot(page, "51-retention-done")
    context.close()

    store = Store.open(node["db"], upgrade=False)
    viewer = store.viewer(USER)
    assert store.entity(viewer, "a1.p2") is None and store.entity(viewer, "a1.p1") is not None
    actions = [(e.action, e.target) for e in store.audit_entries() if e.username == USER]
    assert ("retention.keep", "a1.p1") in actions and ("retention.erase", "a1.p2") in actions
    store.close()
