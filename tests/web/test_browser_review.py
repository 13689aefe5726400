"""The review queue on the ledger in a real browser (Debian's Chromium, as
test_browser_ledger.py; issue 15, ADR 0046): on a small node served by `palermo serve`
whose view was resolved, the analyst's review page lists the ledger's uncertain pairs with
each side's identity; "Same person" on one pair joins the two records' identities (the
profile page shows both records as one identity), "Different people" on a pair already
joined through a third record parts them (the profile shows the record alone), with no
batch run. The page passes axe-core. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from palermo.ingest.build import build
from palermo.match import incremental
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.served import log_in, served
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
USER, PASSWORD = "rita", "pw-rita-review"
PASSPORT, PHONE = "XK1234567", "+7 912 345 6789"
# a1.x and b2.y: same name, birth years apart (about 0.54: to review), but one identity
# through b2.z (a phone with a1.x, a passport with b2.y); a1.m and b2.m: to review, apart.
RECORDS = (
    ("a1.x", "owner", {"name": "Ivan Petrov", "birthDate": "1980-02-03", "phone": PHONE}),
    (
        "b2.y",
        "group:EU",
        {"name": "Ivan Petrov", "birthDate": "1981-02-03", "passportNumber": PASSPORT},
    ),
    ("b2.z", "group:EU", {"name": "Petrov Ivan", "passportNumber": PASSPORT, "phone": PHONE}),
    ("a1.m", "owner", {"name": "Maria Lopez", "birthDate": "1990-01-01"}),
    ("b2.m", "group:EU", {"name": "Maria Lopez", "birthDate": "1991-01-01"}),
)


@pytest.fixture(scope="module")
def resolved_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make browser installs Debian's package)")
        pytest.skip("Debian's chromium is not installed (make browser)")
    db = f"sqlite:///{tmp_path_factory.mktemp('review') / 'node.db'}"
    store = Store.open(db)
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    for eid, share, props in RECORDS:
        agency = eid.split(".")[0].upper()
        store.write(v[agency], build(agency, eid, "Person", props, Sharing.parse(share)))
    incremental.run_batch(store, store.viewer(USER))  # the view has a ledger
    store.close()
    with served(db) as base:
        yield {"base": base, "db": db}


def pair(page: Any, left: str, right: str) -> Any:
    """The review item of the pair (left, right) on the page shown."""
    return (
        page.locator("section.review-item")
        .filter(has=page.locator(f"input[name=left][value='{left}']"))
        .filter(has=page.locator(f"input[name=right][value='{right}']"))
    )


def records_of_identity(page: Any, base: str, record: str, want: set[str]) -> set[str]:
    """The records the profile of `record` shows as its identity, reloading while the
    analysis is still built in the background, until they are `want` (or 90 s)."""
    shown: set[str] = set()
    for _ in range(90):
        page.goto(f"{base}/entities/{record}")
        page.wait_for_selector("#records")
        heads = page.locator("#records thead a")
        shown = {record} | {heads.nth(i).inner_text().strip() for i in range(heads.count())}
        if shown == want and page.locator("#resolving").count() == 0:
            return shown
        time.sleep(1)
    return shown


def test_confirm_and_reject_a_ledger_pair_and_see_the_identity_change(
    browser: Any,  # noqa: F811
    resolved_node: dict[str, str],
) -> None:
    base = resolved_node["base"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log_in(page, base, USER, PASSWORD)

    page.goto(f"{base}/review")
    page.wait_for_selector("#pair-1")
    assert "identity ledger holds them now" in page.locator("main").inner_text()
    maria, ivan = pair(page, "a1.m", "b2.m"), pair(page, "a1.x", "b2.y")
    assert maria.count() == 1 and ivan.count() == 1
    assert "Identities now:" in maria.locator(".identities").inner_text()
    assert "Already one identity" in ivan.locator(".identities").inner_text()
    shot(page, "50-review-ledger")
    found = violations(page, AXE.read_text(encoding="utf-8"))  # WCAG 2.1 AA, as every page
    assert not found, describe(found)
    assert records_of_identity(page, base, "a1.m", {"a1.m"}) == {"a1.m"}
    assert records_of_identity(page, base, "a1.x", {"a1.x", "b2.y", "b2.z"}) == {
        "a1.x",
        "b2.y",
        "b2.z",
    }

    page.goto(f"{base}/review")
    pair(page, "a1.m", "b2.m").get_by_label("Reason").fill("same woman, year typed wrong")
    pair(page, "a1.m", "b2.m").get_by_role("button", name="Same person").click()
    page.wait_for_url(f"{base}/review?offset=0")
    assert pair(page, "a1.m", "b2.m").count() == 0, "the confirmed pair leaves the queue"
    joined = records_of_identity(page, base, "a1.m", {"a1.m", "b2.m"})
    assert joined == {"a1.m", "b2.m"}, "confirmed: one identity at once"
    shot(page, "51-review-confirmed-profile")

    page.goto(f"{base}/review")
    pair(page, "a1.x", "b2.y").get_by_role("button", name="Different people").click()
    page.wait_for_url(f"{base}/review?offset=0")
    assert pair(page, "a1.x", "b2.y").count() == 0, "the rejected pair leaves the queue"
    assert page.locator("#review-empty").count() == 1
    parted = records_of_identity(page, base, "a1.x", {"a1.x"})
    assert "b2.y" not in parted, "rejected: a1.x and b2.y are no longer one identity"
    shot(page, "52-review-rejected-profile")
    context.close()
