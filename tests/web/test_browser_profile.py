"""The home dashboard and the identity profile in a real browser (Debian's Chromium, as in
test_browser.py, whose demo node and login fixtures this module reuses): log in, read the
dashboard, open a case's page from it, go to its subject's profile, see the other agency's
record of the same identity, subscribe to alerts. Screenshots in test-artifacts/."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx

from palermo.store.store import Store
from tests.web.test_browser import USER, browser, node, page, shot  # noqa: F401 (fixtures)

RESOLVE_SECONDS = 240  # the node resolves every visible person once, in the background


def test_dashboard_then_profile_then_subscribe(page: Any, node: dict[str, Any]) -> None:  # noqa: F811
    base, story = node["base"], node["story"]
    page.wait_for_selector("#cases")
    shot(page, "20-dashboard")
    assert "JIT-DE-NL-2026-1" in page.locator("#cases").inner_text()  # the joint case
    assert "NL-KMAR" in page.locator("#hits").inner_text()  # the deconfliction hit
    assert "Action day Nordlicht" in page.locator("#operations").inner_text()

    page.locator("#cases a", has_text="BKA-2026-0417").click()  # the case page (web/case_forms)
    page.wait_for_selector("#subjects")
    subject = page.locator("#subjects a[href^='/entities/']").first
    subject.click()
    page.wait_for_selector("#records")
    for _ in range(RESOLVE_SECONDS // 3):  # reload until the identity is resolved
        if page.locator("#resolving").count() == 0:
            break
        page.wait_for_timeout(3000)
        page.reload()
        page.wait_for_selector("#records")
    assert page.locator("#resolving").count() == 0
    page.wait_for_selector("#link-chart canvas")  # the small link chart is drawn
    shot(page, "21-profile")
    records = page.locator("#records").inner_text()
    assert "DE-BKA" in records and "NL-KMAR" in records  # both agencies' records, side by side
    assert "BKA-2026-0417" in page.locator("#cases").inner_text()
    assert page.locator("#timeline tbody tr").count() >= 1
    entity_id = unquote(page.url.rsplit("/entities/", 1)[1].split("#")[0])
    store = Store.open(node["db"])
    case = store.entity(store.viewer(USER), story.cases["DE-BKA"])
    store.close()
    assert case is not None and entity_id == case.first("subjects")  # the case's subject

    page.get_by_role("button", name="Subscribe to alerts").click()
    page.wait_for_selector("#subscribed")
    shot(page, "22-subscribed")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    mine = httpx.get(f"{base}/api/v1/subscriptions", cookies=cookies, timeout=30).json()
    assert {"kind": "entity", "value": entity_id} in [
        {"kind": s["kind"], "value": s["value"]} for s in mine
    ]
