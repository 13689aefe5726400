"""The GLOTIP submission walked in a real browser (Debian's Chromium, test_browser.py's demo
node): DE-BKA's analyst opens one of DE-BKA's suspects, records a court outcome from the
profile (first with a verdict date before the prosecution date, refused next to the field),
opens the GLOTIP submission page for the verdict's year, where the convicted cell shows
"<5", follows it to its trace, which lists the record, and downloads the CSV. axe-core finds
no serious violation on the form, the submission or the trace. Screenshots in
test-artifacts/screenshots/ (90- to 93-)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from palermo.analysis.statistics import SUSPECT_TOPIC
from palermo.store.store import Store
from tests.web.test_browser import USER, browser, node, shot  # noqa: F401 (fixtures)
from tests.web.test_browser_victims import accessible, login  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
YEAR = "2005"  # before the generated world's years: DE-BKA has no conviction in it
CONVICTED = "Persons convicted/Total/Total/Total/Total"


def a_suspect(db: str) -> tuple[str, str]:
    """One of DE-BKA's own suspect records: (id, name)."""
    store = Store.open(db)
    try:
        viewer = store.viewer(USER)
        for person in store.entities(viewer, schema="Person", limit=500, purpose=None):
            if "DE-BKA" in person.agencies and SUSPECT_TOPIC in person.values("topics"):
                return person.id, person.caption
    finally:
        store.close()
    raise AssertionError("the demo world has no DE-BKA suspect")


def test_court_outcome_moves_the_glotip_submission(login: Any, node: dict[str, Any]) -> None:  # noqa: F811
    base = node["base"]
    suspect, name = a_suspect(node["db"])
    pg = login(USER)

    # 1. from the suspect's profile, record a conviction (a wrong date first)
    pg.goto(f"{base}/entities/{suspect}")
    pg.get_by_role("link", name="Record court outcome").click()
    pg.wait_for_selector("#court-outcome-form")
    assert pg.locator("#defendant").input_value() == suspect
    assert name in pg.locator("#defendant-name").inner_text()
    pg.get_by_label("Verdict", exact=True).select_option("convicted")
    pg.get_by_label("Prosecution date").fill(f"{YEAR}-03-01")
    pg.get_by_label("Verdict date").fill(f"{int(YEAR) - 1}-10-20")
    pg.get_by_label("Offence (ICCS code)").select_option("02041")
    pg.get_by_label("Form of exploitation").select_option("sexual-exploitation")
    pg.locator("#court").fill("Landgericht Berlin")
    pg.get_by_role("button", name="Record the court outcome").click()
    pg.wait_for_selector("#verdict_date-error")
    assert "before the prosecution date" in pg.locator("#verdict_date-error").inner_text()
    assert pg.locator("#verdict_date").get_attribute("aria-invalid") == "true"
    shot(pg, "90-court-outcome-refused")
    accessible(pg)
    pg.get_by_label("Verdict date").fill(f"{YEAR}-10-20")
    shot(pg, "91-court-outcome-form")
    pg.get_by_role("button", name="Record the court outcome").click()
    pg.wait_for_url(f"{base}/entities/**")
    outcome = unquote(pg.url.rsplit("/entities/", 1)[1])
    assert outcome.startswith("de-bka.court-")

    # 2. the GLOTIP submission of that year shows the conviction as "<5"
    pg.locator("nav").get_by_role("link", name="GLOTIP submission").click()
    pg.wait_for_selector("#glotip-form")
    pg.get_by_label("Reference year").select_option(YEAR)
    pg.get_by_role("button", name="Show").click()
    pg.wait_for_selector("table.glotip")
    cell = pg.locator(f"a[data-cell='{CONVICTED}']")
    assert cell.inner_text() == "<5"
    assert "Withheld: detected victims" in pg.locator("main").inner_text()  # an analyst
    shot(pg, "92-glotip-submission")
    accessible(pg)

    # 3. its trace lists the record
    cell.click()
    pg.wait_for_selector("#trace-records")
    assert pg.locator("#trace-value").inner_text() == "<5"
    assert pg.locator(f"#trace-records code:text-is('{outcome}')").count() == 1
    shot(pg, "93-glotip-trace")
    accessible(pg)

    # 4. the CSV download
    pg.get_by_role("link", name=f"Back to the {YEAR} submission").click()
    pg.wait_for_selector("#download-csv")
    with pg.expect_download() as download:
        pg.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert download.value.suggested_filename == f"glotip-DE-BKA-{YEAR}.csv"
    assert any(
        line.startswith("DEU,")
        and ",Persons convicted,Total,Total,Total,Total," in line
        and f",{YEAR},Counts,<5," in line
        for line in text.splitlines()
    ), text
