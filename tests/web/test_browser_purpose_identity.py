"""The identity of the session's purpose in a real browser (Debian's Chromium; ADR 0051,
amendment "identities per purpose"): A1 and B2 each hold a record of one woman; B2 stated
her name for court only (H0). Resolved over every value the two are one identity, but only
the name joins them. A1's analyst who declares ``court`` sees B2's record beside her own on
the profile; declaring ``investigation`` leaves her own record alone there, since the merge
needed a value that purpose may not use. Both pages pass axe-core. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

import time
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
from tests.web.test_browser_session_purpose import declare

pytestmark = pytest.mark.slow
USER, PASSWORD = "ines", "pw-ines-identity"
OURS, THEIRS = "a1.amara", "b2.amara"
PENDING = "reload</a> in a minute"  # the profile's note while the workspace is built


def _person(entity_id: str, agency: str, name_sharing: Sharing) -> list[Statement]:
    free = Sharing.to_all()
    return [
        Statement(entity_id, "Person", prop, value, agency, "amara", sharing)
        for prop, value, sharing in (
            (BASE, entity_id, free),
            ("name", "Amara Chidinma Okafor", name_sharing),
            ("birthDate", "1990-04-12", free),
            ("nationality", "ng", free),
        )
    ]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium(CHROMIUM)
    db = f"sqlite:///{tmp_path_factory.mktemp('identity') / 'node.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    store.write(viewers["A1"], _person(OURS, "A1", Sharing.to_all()))
    store.write(viewers["B2"], _person(THEIRS, "B2", Sharing.parse("all|H0:court")))
    store.close()
    with served(db) as base:
        yield base


def profile_records(page: Any, url: str) -> str:
    """The profile's table of every agency's record, once the workspace is built."""
    deadline = time.monotonic() + 120  # a loaded machine builds it slowly
    page.goto(url)
    while PENDING in page.content() and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    assert PENDING not in page.content(), "the profile never resolved its identity"
    return str(page.locator("#records").inner_text())


def test_the_profile_joins_the_records_only_for_the_purpose_that_may_use_the_name(
    browser: Any,  # noqa: F811
    node: str,
) -> None:
    with logged_in_page(browser, node, USER, PASSWORD) as page:
        url = f"{node}/entities/{id_path(OURS)}"
        page.goto(url)
        axe = AXE.read_text(encoding="utf-8")

        declare(page, "court")
        assert THEIRS in profile_records(page, url)
        found = violations(page, axe)
        assert not found, describe(found)
        shot(page, "62-identity-court")

        declare(page, "investigation")
        records = profile_records(page, url)
        assert OURS in records and THEIRS not in records
        found = violations(page, axe)
        assert not found, describe(found)
        shot(page, "63-identity-investigation")
