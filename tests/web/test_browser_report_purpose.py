"""The trends page's report form declares a purpose (ADR 0041), in Chromium: the report
opened for ``analysis`` (the default) leaves out a victim record another agency stated for
investigation only and says what it was produced for; opened for ``investigation`` it counts
it. Uses the demo node of `test_browser.py` (same module-scoped fixtures); a new agency
writes the restricted record before the first report is built."""

from __future__ import annotations

from typing import Any

import pytest

from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.store.factories import SYSTEM
from tests.web.test_browser import browser, node, page, shot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
ROW = '<th scope="row">{}</th>'  # a category row of a report table, as Chromium serialises it


def open_report(tab: Any) -> None:
    """Submit the form; the report is built on the server (slow on a loaded machine)."""
    with tab.expect_navigation(url="**/api/v1/analysis/report?**", timeout=300_000):
        tab.get_by_role("button", name="Open report").click(no_wait_after=True)


def test_report_form_declares_the_purpose_and_the_report_follows_it(
    page: Any,  # noqa: F811
    node: dict[str, Any],  # noqa: F811
) -> None:
    store = Store.open(node["db"])
    store.add_agency(SYSTEM, Agency("ZZ-H0", "H0 test agency", "DE", "police", ()))
    writer = store.add_user(SYSTEM, "analyst-zz-h0", "ZZ-H0", "analyst").viewer()
    marked = Sharing.parse("all|H0:investigation")
    victim = write_entity(store, writer, "Person", {"name": "Tuvalu Purposetest"}, marked)
    record = {"victim": victim, "exploitationCountry": "tv", "exploitationForm": "labour"}
    write_entity(store, writer, "VictimRecord", record, marked)
    store.close()

    page.goto(f"{node['base']}/trends")
    purpose = page.get_by_label("Report for the purpose")
    assert purpose.input_value() == "analysis"  # the default, stated on the form
    options = purpose.locator("option").all_inner_texts()
    assert {"analysis", "investigation", "screening", "statistics"} <= set(options)
    shot(page, "06c-report-purpose-form")
    open_report(page)
    assert "purpose=analysis" in page.url
    html = page.content()
    assert "Produced for the purpose: analysis." in html
    assert ROW.format("tv") not in html  # stated for investigation only: not used

    page.goto(f"{node['base']}/trends")
    page.get_by_label("Report for the purpose").select_option("investigation")
    open_report(page)
    assert "purpose=investigation" in page.url
    html = page.content()
    assert "Produced for the purpose: investigation." in html
    assert ROW.format("tv") in html
