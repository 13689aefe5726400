"""Coordination workflows in a real browser (Debian's Chromium, with test_browser.py's demo
node and login), through the web forms only, as two agencies: DE-BKA plans an operation on
its suspect with NL-KMAR, each reports its results; DE-BKA drafts an MLA request that
NL-KMAR answers; DE-BKA issues a notice and withdraws it, and writes to NL-KMAR with a file
attached, which NL-KMAR opens. Screenshots (60-71) in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from palermo.cli.demo import demo_password
from palermo.coordination import mla, operations
from palermo.exchange import messages, notices
from palermo.store.store import Store
from tests.web.test_browser import USER, browser, node, page, shot

__all__ = ["browser", "node", "page"]  # fixtures, imported for their names
pytestmark = pytest.mark.slow
PARTNER = "analyst-nl-kmar"


@pytest.fixture
def partner(browser: Any, node: dict[str, Any]) -> Iterator[Any]:
    """A second browser context, logged in as NL-KMAR's analyst."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.goto(f"{node['base']}/login")
    pg.get_by_label("User name").fill(PARTNER)
    pg.get_by_label("Password").fill(demo_password(PARTNER))
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{node['base']}/")
    yield pg
    context.close()


def suspect(node: dict[str, Any]) -> str:
    """DE-BKA's own suspect of the demo story (owner only: NL-KMAR does not see it)."""
    store = Store.open(node["db"])
    try:
        case = store.entity(store.viewer(USER), node["story"].cases["DE-BKA"])
        assert case is not None
        return case.first("subjects") or ""
    finally:
        store.close()


def test_plan_an_operation_and_report_results_as_each_agency(
    page: Any, partner: Any, node: dict[str, Any]
) -> None:
    base, target = node["base"], suspect(node)
    page.goto(f"{base}/entities/{target}")
    page.get_by_role("link", name="Plan an operation").click()
    page.wait_for_selector("#operation-form")
    assert page.locator("#target-choices input:checked").count() == 1  # the person, ticked
    page.get_by_label("Operation name").fill("Action day Weser")
    page.locator("#action_time").fill("2026-12-10T05:00")
    page.locator("#take_NL-KMAR").check()
    assert page.locator("#timezone_NL-KMAR").input_value() == "Europe/Amsterdam"
    shot(page, "60-operation-plan")
    page.get_by_role("button", name="Plan the operation").click()
    page.wait_for_selector("#results")
    operation_id = page.url.rsplit("/operations/", 1)[1]

    page.get_by_role("link", name="Report results").click()
    page.wait_for_selector("#results-form")
    page.get_by_label("Arrests").fill("4")
    page.get_by_label("Victims rescued").fill("2")
    shot(page, "61-operation-results-de")
    page.get_by_role("button", name="Report the results").click()
    page.wait_for_selector("#results")

    partner.goto(f"{base}/operations/{operation_id}")
    partner.get_by_role("link", name="Report results").click()
    partner.wait_for_selector("#results-form")
    assert partner.get_by_label("Country").input_value() == "NL"  # its own country only
    partner.get_by_label("Arrests").fill("1")
    partner.get_by_label("Documents seized").fill("12")
    partner.get_by_role("button", name="Report the results").click()
    partner.wait_for_selector("#results")
    assert partner.get_by_role("link", name="Change the plan").count() == 0  # not its plan
    shot(partner, "62-operation-dashboard-nl")
    totals = partner.locator("#results tr.total").inner_text().split()
    assert totals[1:3] == ["5", "0"] and totals[3] == "2" and totals[4] == "12"

    page.reload()
    page.get_by_role("link", name="Change the plan").click()
    page.get_by_label("Operation name").fill("Action day Weser (moved)")
    page.locator("#action_time").fill("2026-12-11T05:00")
    shot(page, "63-operation-change")
    page.get_by_role("button", name="Save the plan").click()
    page.wait_for_selector("#results")

    store = Store.open(node["db"])
    board = operations.dashboard(store, store.viewer(PARTNER), operation_id)
    store.close()
    assert board.operation.first("name") == "Action day Weser (moved)"
    assert board.operation.first("actionTime") == "2026-12-11T04:00:00+00:00"
    assert board.operation.values("targets") == [target]
    assert board.by_country["DE"]["arrests"] == 4 and board.by_country["NL"]["arrests"] == 1


def test_draft_an_mla_request_and_the_requested_agency_answers_it(
    page: Any, partner: Any, node: dict[str, Any]
) -> None:
    base = node["base"]
    deadline = (datetime.now(UTC).date() + timedelta(days=21)).isoformat()
    page.goto(f"{base}/mla")
    page.get_by_role("link", name="Draft a request").click()
    page.wait_for_selector("#mla-form")
    page.get_by_label("Reference").fill("MLA-DE-NL-2026-12")
    page.get_by_label("Requested agency").select_option("NL-KMAR")
    page.get_by_label("Measure requested").select_option("asset-freezing")
    page.get_by_label("Legal basis").fill("Directive 2014/41/EU (European Investigation Order)")
    page.get_by_label("Deadline").fill(deadline)
    page.locator("#acts-recruitment").check()
    page.locator("#means-deception").check()
    page.locator("#purposes-sexual-exploitation").check()
    shot(page, "64-mla-draft")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(f"{base}/mla")
    assert "MLA-DE-NL-2026-12" in page.locator("main").inner_text()

    partner.goto(f"{base}/mla")
    partner.get_by_role("link", name="Answer MLA-DE-NL-2026-12").click()
    partner.wait_for_selector("#mla-answer-form")
    partner.get_by_label("Status").select_option("executed")
    partner.get_by_label("Comment").fill("Accounts frozen on 2 December.")
    shot(partner, "65-mla-answer")
    partner.get_by_role("button", name="Send the answer").click()
    partner.wait_for_selector("#mla-status")
    assert partner.locator("#mla-status").inner_text() == "executed"

    page.goto(f"{base}/mla")
    shot(page, "66-mla-list")
    store = Store.open(node["db"])
    bka = store.viewer(USER)
    rows = store.entities(bka, schema="LegalAssistanceRequest", limit=100)
    store.close()
    [request] = [r for r in rows if r.first("reference") == "MLA-DE-NL-2026-12"]
    assert mla.status_of(request) == "executed" and request.first("deadline") == deadline


def test_issue_and_withdraw_a_notice(page: Any, node: dict[str, Any]) -> None:
    base, subject = node["base"], suspect(node)
    page.goto(f"{base}/entities/{subject}")
    page.get_by_role("link", name="Issue a notice").click()
    page.wait_for_selector("#notice-form")
    page.locator("#type-blue").check()
    assert page.locator("#subject-choices input:checked").input_value() == subject
    page.get_by_label("Reason").fill("Identity and travel of the Weser recruiter.")
    shot(page, "67-notice-issue")
    page.get_by_role("button", name="Issue the notice").click()
    page.wait_for_url(f"{base}/notices")
    store = Store.open(node["db"])
    mine = [
        n
        for n in store.entities(store.viewer(USER), schema="Notice", limit=500)
        if n.first("subject") == subject and n.first("noticeType") == "blue"
    ]
    store.close()
    assert len(mine) == 1 and notices.status_of(mine[0]) == notices.ACTIVE
    shot(page, "68-notices")
    page.get_by_role("button", name=f"Withdraw notice {mine[0].id}").click()
    page.wait_for_url(f"{base}/notices")
    shot(page, "69-notice-withdrawn")
    store = Store.open(node["db"])
    again = store.entity(store.viewer(USER), mine[0].id)
    store.close()
    assert again is not None and notices.status_of(again) == notices.WITHDRAWN


def test_send_a_message_with_an_attachment(
    page: Any, partner: Any, node: dict[str, Any], tmp_path: Path
) -> None:
    base = node["base"]
    attachment = tmp_path / "passenger-list.csv"
    attachment.write_text("seat,name\n12,I. Petrov\n", encoding="utf-8")
    page.goto(f"{base}/messages")
    page.get_by_role("link", name="Write a message").click()
    page.wait_for_selector("#message-form")
    page.get_by_label("To", exact=True).select_option("NL-KMAR")
    page.get_by_label("Subject").fill("Passenger list, Weser line")
    page.get_by_label("Message", exact=True).fill("The list of 3 November is attached.")
    page.get_by_label("Attachments").set_input_files(str(attachment))
    shot(page, "70-message-write")
    page.get_by_role("button", name="Send the message").click()
    page.wait_for_selector("#sent")
    assert "sent to NL-KMAR" in page.locator("#sent").inner_text()

    partner.goto(f"{base}/messages")
    partner.get_by_role("link", name="Passenger list, Weser line").click()
    partner.wait_for_selector("#message-body")
    assert "The list of 3 November is attached." in partner.locator("#message-body").inner_text()
    with partner.expect_download() as download:
        partner.get_by_role("link", name="passenger-list.csv").click()
    saved = tmp_path / "downloaded.csv"
    download.value.save_as(str(saved))
    assert saved.read_text(encoding="utf-8") == attachment.read_text(encoding="utf-8")
    shot(partner, "71-message-read")
    store = Store.open(node["db"])
    kmar = store.viewer(PARTNER)
    [message] = [
        m for m in messages.inbox(store, kmar) if m.first("subject") == "Passenger list, Weser line"
    ]
    receipts = messages.receipts(store, store.viewer(USER), message.id)
    store.close()
    assert receipts == [f"{PARTNER}@NL-KMAR"]
