"""The GLOTIP submission walked in a real browser (Debian's Chromium, test_browser.py's demo
node): DE-BKA's analyst opens one of DE-BKA's suspects, records a court outcome from the
profile (first with a verdict date before the prosecution date, refused next to the field),
opens the GLOTIP submission page for the verdict's year, where the convicted cell shows
"<5", follows it to its trace, which lists the record, and downloads the CSV. axe-core finds
no serious violation on the form, the submission or the trace. Screenshots in
test-artifacts/screenshots/ (90- to 93-).

Then the same analyst corrects and retracts a court outcome of a suspect in one of DE-BKA's
cases from the case page: an ICCS code of another form is refused next to the field, the
correction shows on the outcome's page (its history), on the case page (marked corrected)
and in the GLOTIP table (under its new form); the retraction marks it retracted on the case
page and takes it out of the table (screenshots 94- to 98-)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from palermo.analysis.statistics import SUSPECT_TOPIC
from palermo.coordination import court
from palermo.coordination.cases import open_case
from palermo.store.store import Store
from tests.web.test_browser import USER, browser, node, shot  # noqa: F401 (fixtures)
from tests.web.test_browser_victims import accessible, login  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
YEAR = "2005"  # before the generated world's years: DE-BKA has no conviction in it
CONVICTED = "Persons convicted/Total/Total/Total/Total"


def a_suspect(db: str, nth: int = 0) -> tuple[str, str]:
    """One of DE-BKA's own suspect records (the NTH): (id, name)."""
    store = Store.open(db)
    try:
        viewer = store.viewer(USER)
        found = [
            (person.id, person.caption)
            for person in store.entities(viewer, schema="Person", limit=500, purpose=None)
            if "DE-BKA" in person.agencies and SUSPECT_TOPIC in person.values("topics")
        ]
        if len(found) > nth:
            return found[nth]
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


CHANGED_YEAR = "2006"  # not 2005: the first walk's conviction stays out of these tables
OTHER_FORMS = "Persons convicted/by form of exploitation/Other forms of exploitation/Total/Total"
LABOUR = "Persons convicted/by form of exploitation/Forced labour/Total/Total"


def a_case_with_a_conviction(db: str, suspect: str) -> tuple[str, str]:
    """A DE-BKA case with SUSPECT as its subject, and a forced-labour conviction of the
    suspect in CHANGED_YEAR recorded by DE-BKA (as the form would): (case id, outcome id)."""
    store = Store.open(db)
    try:
        viewer = store.viewer(USER)
        case = open_case(store, viewer, "K-COURT-1", "Harbour labour ring", "forced-labour",
                         [suspect], {})  # fmt: skip
        values = court.CourtOutcomeInput(
            suspect, "convicted", f"{CHANGED_YEAR}-02-01", f"{CHANGED_YEAR}-06-01", "02042",
            "forced-labour", "Amtsgericht Hamburg",
        )  # fmt: skip
        return case, court.record_court_outcome(store, viewer, values)
    finally:
        store.close()


def glotip_cells(pg: Any, base: str) -> dict[str, str]:
    """The GLOTIP page's cells of CHANGED_YEAR, as shown: name -> text."""
    pg.goto(f"{base}/glotip?year={CHANGED_YEAR}")
    pg.wait_for_selector("#glotip-form")
    cells = pg.locator("a[data-cell]")
    return {
        cells.nth(i).get_attribute("data-cell"): cells.nth(i).inner_text()
        for i in range(cells.count())
    }


def test_correct_and_retract_a_court_outcome_from_the_case_page(
    login: Any,  # noqa: F811
    node: dict[str, Any],  # noqa: F811
) -> None:
    base = node["base"]
    suspect, _ = a_suspect(node["db"], nth=1)
    case, outcome = a_case_with_a_conviction(node["db"], suspect)
    pg = login(USER)
    assert glotip_cells(pg, base)[LABOUR] == "<5"

    # 1. the case page lists the conviction; correct it from there (a code of another form first)
    pg.goto(f"{base}/cases/{case}")
    row = pg.locator(f"#court-outcomes tr[data-outcome='{outcome}']")
    assert "Amtsgericht Hamburg" in row.inner_text() and "02042" in row.inner_text()
    row.get_by_role("link", name="Correct").click()
    pg.wait_for_selector("#court-correct-form")
    assert pg.locator("#court").input_value() == "Amtsgericht Hamburg"
    pg.get_by_label("Offence (ICCS code)").select_option("02041")
    pg.get_by_label("Reason for the correction").fill("the judgment names debt bondage")
    pg.get_by_role("button", name="Correct the court outcome").click()
    pg.wait_for_selector("#offence_code-error")
    error = pg.locator("#offence_code-error").inner_text()
    assert "exploitation_form" in error and "02041" in error
    assert pg.locator("#offence_code").get_attribute("aria-invalid") == "true"
    shot(pg, "94-court-correct-refused")
    accessible(pg)
    pg.get_by_label("Offence (ICCS code)").select_option("02044")
    pg.get_by_label("Form of exploitation").select_option("debt-bondage")
    pg.get_by_role("button", name="Correct the court outcome").click()
    pg.wait_for_selector("#court-history")
    history = pg.locator("#court-history").inner_text()
    assert "corrected" in history and "the judgment names debt bondage" in history
    assert "exploitationForm: forced-labour -> debt-bondage" in history
    shot(pg, "95-court-outcome-corrected")
    accessible(pg)

    # 2. marked corrected on the case page, counted under its new form in the GLOTIP table
    pg.goto(f"{base}/cases/{case}")
    row = pg.locator(f"#court-outcomes tr[data-outcome='{outcome}']")
    assert row.locator(".mark-corrected").inner_text() == "corrected"
    assert "debt-bondage" in row.inner_text() and "02044" in row.inner_text()
    shot(pg, "96-case-court-corrected")
    accessible(pg)
    cells = glotip_cells(pg, base)
    assert cells[OTHER_FORMS] == "<5" and LABOUR not in cells

    # 3. retract it from the case page: marked retracted, out of the GLOTIP table
    pg.goto(f"{base}/cases/{case}")
    pg.locator(f"#court-outcomes tr[data-outcome='{outcome}']").get_by_role(
        "link", name="Retract"
    ).click()
    pg.wait_for_selector("#court-retract-form")
    pg.get_by_label("Reason for the retraction").fill("recorded for the wrong trial")
    shot(pg, "97-court-retract-form")
    accessible(pg)
    pg.get_by_role("button", name="Retract the court outcome").click()
    pg.wait_for_url(f"{base}/entities/**")
    pg.goto(f"{base}/cases/{case}")
    row = pg.locator(f"#court-outcomes tr[data-outcome='{outcome}']")
    assert row.locator(".mark-retracted").inner_text() == "retracted"
    assert "recorded for the wrong trial" in row.inner_text()
    assert row.get_by_role("link", name="Correct").count() == 0
    shot(pg, "98-case-court-retracted")
    accessible(pg)
    cells = glotip_cells(pg, base)
    assert not any(name.startswith("Persons convicted") for name in cells), cells
