"""Administering users and tokens in a real browser (Debian's Chromium) against a running
`palermo serve` (issue 21): an admin disables a user, whose login then fails; the admin
revokes a token, and the API answers 401 to it. axe-core finds no serious or critical
violation on /admin/users and /admin/tokens. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.store.factories import SYSTEM
from tests.web.served import served
from tests.web.test_accessibility import axe_source, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot

__all__ = ["axe_source", "browser"]  # fixtures, imported for their names

pytestmark = pytest.mark.slow
PASSWORDS = {"adm-de": "admin-password-1", "ana-de": "analyst-password-1"}


@pytest.fixture(scope="module")
def admin_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A small node (two agencies, an admin, an analyst with an API token) being served."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    db = f"sqlite:///{tmp_path_factory.mktemp('admin-node') / 'node.db'}"
    store = Store.open(db)
    store.add_agency(SYSTEM, Agency("DE-BKA", "Bundeskriminalamt", "DE", "police"))
    store.add_agency(SYSTEM, Agency("NL-KMAR", "Marechaussee", "NL", "border"))
    store.add_user(SYSTEM, "adm-de", "DE-BKA", "admin", password=PASSWORDS["adm-de"])
    store.add_user(SYSTEM, "ana-de", "DE-BKA", "analyst", password=PASSWORDS["ana-de"])
    store.add_user(SYSTEM, "bram-nl", "NL-KMAR", "analyst", password="bram-password-1")
    token = store.create_token(SYSTEM, "ana-de", "script")
    store.close()
    with served(db) as base:
        yield {"base": base, "db": db, "token": token}


def log_in(browser: Any, base: str, user: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Log in").click()
    return page


def test_admin_disables_a_user_and_revokes_a_token(
    browser: Any, admin_node: dict[str, Any], axe_source: str
) -> None:
    base, token = admin_node["base"], admin_node["token"]
    api = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/v1/entities", headers=api).status_code == 200
    page = log_in(browser, base, "adm-de")
    try:
        page.wait_for_url(f"{base}/")
        page.get_by_role("link", name="Tokens", exact=True).click()
        page.wait_for_selector("#tokens")
        found = violations(page, axe_source)
        assert not found, describe(found)
        row = page.locator('tr:has-text("script")')
        row.get_by_role("button", name="Revoke").click()
        page.wait_for_selector("#done")
        assert "revoked" in page.locator('tr:has-text("script")').inner_text()
        shot(page, "41-admin-tokens")
        assert httpx.get(f"{base}/api/v1/entities", headers=api).status_code == 401

        page.get_by_role("link", name="Users", exact=True).click()
        page.wait_for_selector("#users")
        found = violations(page, axe_source)
        assert not found, describe(found)
        assert page.locator('tr[data-username="bram-nl"]').count() == 0  # another agency
        page.get_by_role("button", name="Disable ana-de").click()
        page.wait_for_selector("#done")
        assert "disabled" in page.locator('tr[data-username="ana-de"]').inner_text()
        shot(page, "40-admin-users")
    finally:
        page.context.close()

    refused = log_in(browser, base, "ana-de")
    try:
        refused.wait_for_selector("text=Unknown user or wrong password.")
        assert refused.url.startswith(f"{base}/login")
    finally:
        refused.context.close()
