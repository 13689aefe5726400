"""The identity ledger of the session's purpose in a real browser (Debian's Chromium; ADR
0051, amendment "the ledger per purpose"): A1 holds two records of Ivan Petrov resolved
apart; B2's record bridges them with a passport and a phone stated (H0) for court only, and
A1's next run merges the two identities. A1's analyst who declares ``court`` sees the merge
with B2's record, the shared passport as evidence and an Undo button; declaring
``investigation`` the same entry is listed, held: no records, no evidence, no Undo, and the
marker says to ask B2. Both pages pass axe-core. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.served import logged_in_page, require_chromium, served
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot  # noqa: F401 (fixture)
from tests.web.test_browser_session_purpose import declare

pytestmark = pytest.mark.slow
USER, PASSWORD = "olga", "pw-olga-ledger"
ONE, TWO, THREE = "a1.one", "a1.two", "b2.three"
PASSPORT, PHONE = "XK1234567", "+7 912 345 6789"


def _person(entity_id: str, props: list[tuple[str, str, Sharing]]) -> list[Statement]:
    agency = entity_id.split(".")[0].upper()
    return [
        Statement(entity_id, "Person", prop, value, agency, entity_id, sharing)
        for prop, value, sharing in [(BASE, entity_id, Sharing.to_all()), *props]
    ]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium(CHROMIUM)
    from palermo.match import incremental, ledger

    db = f"sqlite:///{tmp_path_factory.mktemp('ledger-purpose') / 'node.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    free, court = Sharing.to_all(), Sharing.parse("all|H0:court")
    store.write(
        viewers["A1"],
        _person(ONE, [("name", "Ivan Petrov", free), ("passportNumber", PASSPORT, free)]),
    )
    store.write(
        viewers["A1"], _person(TWO, [("name", "Ivan Petrov", free), ("phone", PHONE, free)])
    )
    olga = store.viewer(USER)
    incremental.run_batch(store, olga)  # A1's view: two identities
    store.write(
        viewers["B2"],
        _person(
            THREE,
            [
                ("name", "Petrov Ivan", free),
                ("passportNumber", PASSPORT, court),
                ("phone", PHONE, court),
            ],
        ),
    )
    incremental.run_batch(store, olga)  # B2's record bridges them: a merge
    assert [e.action for e in ledger.entries(store, ledger.scope_of(olga))] == ["merge"]
    store.close()
    with served(db) as base:
        yield base


def test_the_ledger_shows_the_merge_only_to_the_purpose_that_may_use_its_evidence(
    browser: Any,  # noqa: F811
    node: str,
) -> None:
    with logged_in_page(browser, node, USER, PASSWORD) as page:
        page.goto(f"{node}/identities")
        axe = AXE.read_text(encoding="utf-8")

        declare(page, "court")
        page.goto(f"{node}/identities")
        merge = page.locator("section.ledger-entry.merge")
        assert merge.count() == 1 and "held" not in str(merge.get_attribute("class"))
        assert merge.locator(f"a[href='/entities/{THREE}']").count() >= 1
        assert PASSPORT in merge.locator("table.evidence").inner_text()
        assert merge.get_by_role("button", name="Undo merge").count() == 1
        found = violations(page, axe)
        assert not found, describe(found)
        shot(page, "71-ledger-court")

        declare(page, "investigation")
        page.goto(f"{node}/identities")
        merge = page.locator("section.ledger-entry.merge")
        assert merge.count() == 1 and "held" in str(merge.get_attribute("class"))
        text = merge.inner_text()
        assert "rests on values not usable for investigation" in text and "ask B2" in text
        assert "By model" in text
        for hidden in (THREE, ONE, PASSPORT, PHONE):
            assert hidden not in page.content(), hidden
        assert merge.locator("table.evidence").count() == 0
        assert merge.get_by_role("button", name="Undo merge").count() == 0
        found = violations(page, axe)
        assert not found, describe(found)
        shot(page, "72-ledger-investigation")
