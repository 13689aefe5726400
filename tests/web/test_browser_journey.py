"""The whole analyst journey of issue 16 in one browser walk (Debian's Chromium, with
test_browser.py's demo node), through the web UI only, as two agencies and their colleagues:

NL-KMAR imports a CSV through the wizard; DE-BKA opens a case on its suspect, publishes it for
deconfliction and sees the hit with NL-KMAR's case; DE-BKA adds NL-KMAR to the team and
NL-KMAR writes in the joint case; DE-BKA plans an operation with NL-KMAR and each reports its
results; DE-BKA drafts an MLA request that NL-KMAR answers; an officer's red notice waits for
DE-BKA's supervisor, who approves it; FairWork's victim-support worker records one of NL's
imported persons as a victim ("Record as victim" on her profile) and refers her; NL-KMAR's
analyst confirms a suggested match in the review queue and undoes it; the same victim
record, opened by the victim-support worker and by an analyst, shows its details only to
the first. Every step is checked against the store and screenshotted at 1280x800 into
test-artifacts/screenshots/journey-*.png (`scripts/doc_screenshots.py` picks the pages
docs/web.md shows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from palermo.cli.demo import demo_password
from palermo.coordination import cases, deconfliction, mla, operations
from palermo.exchange import notices
from palermo.store.store import Store
from tests.store.factories import aliases_of
from tests.web.test_browser import SHOTS, browser, node  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
DE, NL = "analyst-de-bka", "analyst-nl-kmar"
DE_SUPERVISOR, SUPPORT = "supervisor-de-bka", "support-nl-ngo-fairwork"
VIEWPORT = {"width": 1280, "height": 800}
CSV = (
    "id,name,birth_date,nationality,passport\n"
    "j1,Mirela Dobreva,1996-05-14,bg,BG7710452\n"
    "j2,Stoyan Kolev,1990-13-01,bg,\n"
    "j3,Vasil Kolev,1987-09-30,bg,BG6620931\n"
)


def shot(pg: Any, name: str) -> None:
    """The page as it is now, whole, at the 1280x800 viewport width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"journey-{name}.png"), full_page=True)


def fits_the_width(pg: Any) -> None:
    """Pages work at 1280x800: nothing makes the page scroll sideways."""
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{pg.url} is {width}px wide"


@pytest.fixture(scope="module")
def login(browser: Any, node: dict[str, Any]) -> Iterator[Callable[[str], Any]]:  # noqa: F811
    """Opens a browser context (its own cookies: one person at one desk) logged in as a user."""
    contexts: list[Any] = []

    def open_as(user: str) -> Any:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{node['base']}/login")
        pg.get_by_label("User name").fill(user)
        pg.get_by_label("Password").fill(demo_password(user))
        pg.get_by_role("button", name="Log in").click()
        pg.wait_for_url(f"{node['base']}/")
        return pg

    yield open_as
    for context in contexts:
        context.close()


def read(node: dict[str, Any], user: str, fn: Callable[[Store, Any], Any]) -> Any:  # noqa: F811
    """What the store holds for ``user`` (the test's check after a UI step)."""
    store = Store.open(node["db"])
    try:
        return fn(store, store.viewer(user))
    finally:
        store.close()


def queue(pg: Any) -> set[tuple[str, str]]:
    """The (left, right) record pairs on the review page shown."""
    items = pg.locator("section.review-item")
    return {
        (
            items.nth(i).locator("input[name=left]").input_value(),
            items.nth(i).locator("input[name=right]").input_value(),
        )
        for i in range(items.count())
    }


def test_the_analyst_journey_in_one_walk(
    login: Callable[[str], Any],
    node: dict[str, Any],  # noqa: F811
) -> None:
    base, story = node["base"], node["story"]
    de, nl = login(DE), login(NL)
    shot(de, "01-dashboard")
    fits_the_width(de)

    # 1. NL-KMAR imports a CSV through the wizard (preview, the bad row, skip-bad)
    nl.locator("nav").get_by_role("link", name="Import", exact=True).click()
    nl.wait_for_selector("#import-form")
    nl.set_input_files(
        "#file", files=[{"name": "kmar.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    nl.get_by_label("Pick from the library").select_option("persons")
    nl.get_by_label("Default sharing", exact=False).fill("group:EU")
    shot(nl, "02-import-form")
    nl.get_by_role("button", name="Preview").click()
    nl.wait_for_selector("#row-errors")
    assert "3 rows read, 1 bad rows" in nl.locator("#preview-summary").inner_text()
    shot(nl, "03-import-preview")
    nl.get_by_label("skip-bad: import the good rows").check()
    nl.get_by_role("button", name="Import", exact=True).click()
    nl.wait_for_selector("#import-outcome")
    shot(nl, "04-import-result")
    imported = read(node, SUPPORT, lambda s, v: s.search(v, "Mirela Dobreva", schema="Person"))
    assert len(imported) == 1, "NL's import reaches FairWork (group:EU)"
    victim_person = imported[0].id

    # 2. DE-BKA opens a case on its suspect and publishes it: a hit with NL-KMAR's case
    suspect = read(node, DE, lambda s, v: s.entity(v, story.cases["DE-BKA"])).first("subjects")
    de.goto(f"{base}/entities/{suspect}")
    de.wait_for_selector("#actions")
    shot(de, "05-profile")
    fits_the_width(de)
    de.get_by_role("link", name="Open a case").click()
    de.wait_for_selector("#case-form")
    de.get_by_label("Title", exact=True).fill("Weser recruiters")
    de.get_by_label("Form of exploitation").select_option("sexual")
    de.get_by_label("Description").fill("Informant: the recruiter travels on his own passport.")
    shot(de, "06-case-new")
    de.get_by_role("button", name="Open the case").click()
    de.wait_for_url(f"{base}/cases/**")
    case_id = unquote(de.url.split("/cases/", 1)[1].split("#")[0])
    number = read(node, DE, lambda s, v: s.entity(v, case_id)).first("caseNumber")
    assert read(node, NL, lambda s, v: s.entity(v, case_id)) is None  # not shared yet
    de.get_by_role("button", name="Publish for deconfliction").click()
    de.wait_for_selector("#publish-form")
    de.locator("nav").get_by_role("link", name="Deconfliction hits").click()
    de.wait_for_selector("#hits")
    rows = [r for r in de.locator("#hits tbody tr").all_inner_texts() if number in r]
    assert rows and "NL-KMAR" in rows[0], "the new case's hit names NL-KMAR"
    shot(de, "07-hits")
    hits = read(node, DE, deconfliction.hits)
    assert any(h.case_id == case_id and h.other_agency == "NL-KMAR" for h in hits)

    # 3. both join the case: DE adds NL-KMAR to the team, NL-KMAR writes a note in it
    de.goto(f"{base}/cases/{case_id}")
    de.get_by_label("Add agency").select_option("NL-KMAR")
    de.get_by_label("as", exact=True).select_option("member")
    de.get_by_role("button", name="Add to the team").click()
    de.wait_for_selector("#team")
    assert "NL-KMAR" in de.locator("#team").inner_text()
    nl.goto(f"{base}/cases/{case_id}")
    nl.wait_for_selector("#note-form")
    assert "your agency: member" in nl.locator("main").inner_text()
    nl.get_by_label("Note", exact=True).fill("Schiphol: he flew in twice in October.")
    nl.get_by_role("button", name="Add the note").click()
    nl.wait_for_selector("#notes")
    de.reload()
    assert "flew in twice" in de.locator("#notes").inner_text()
    shot(de, "08-case-joint")
    fits_the_width(de)
    file = read(node, NL, lambda s, v: cases.case_file(s, v, case_id))
    assert file is not None and cases.team_of(file.case) == {"DE-BKA": "lead", "NL-KMAR": "member"}

    # 4. DE plans an operation on the suspect with NL-KMAR; each reports its results
    de.goto(f"{base}/entities/{suspect}")
    de.wait_for_selector("#actions")
    shot(de, "05b-profile-later")  # matched by now, most times: the docs' picture
    de.get_by_role("link", name="Plan an operation").click()
    de.wait_for_selector("#operation-form")
    de.get_by_label("Operation name").fill("Action day Weser")
    de.locator("#action_time").fill("2026-12-10T05:00")
    de.locator("#take_NL-KMAR").check()
    shot(de, "09-operation-plan")
    fits_the_width(de)
    de.get_by_role("button", name="Plan the operation").click()
    de.wait_for_selector("#results")
    operation_id = de.url.rsplit("/operations/", 1)[1]
    for pg, arrests in ((de, "3"), (nl, "2")):
        pg.goto(f"{base}/operations/{operation_id}")
        pg.get_by_role("link", name="Report results").click()
        pg.wait_for_selector("#results-form")
        pg.get_by_label("Arrests").fill(arrests)
        if pg is nl:
            shot(nl, "10-operation-results")
        pg.get_by_role("button", name="Report the results").click()
        pg.wait_for_selector("#results")
    de.reload()
    shot(de, "11-operation-dashboard")
    board = read(node, NL, lambda s, v: operations.dashboard(s, v, operation_id))
    assert board.by_country["DE"]["arrests"] == 3 and board.by_country["NL"]["arrests"] == 2

    # 5. DE drafts an MLA request; NL-KMAR answers it
    deadline = (datetime.now(UTC).date() + timedelta(days=21)).isoformat()
    de.goto(f"{base}/mla/new")
    de.wait_for_selector("#mla-form")
    de.get_by_label("Reference").fill("MLA-DE-NL-2026-J")
    de.get_by_label("Requested agency").select_option("NL-KMAR")
    de.get_by_label("Measure requested").select_option("evidence")
    de.get_by_label("Legal basis").fill("Directive 2014/41/EU (European Investigation Order)")
    de.get_by_label("Deadline").fill(deadline)
    de.locator("#acts-recruitment").check()
    de.locator("#means-deception").check()
    de.locator("#purposes-sexual-exploitation").check()
    shot(de, "12-mla-draft")
    fits_the_width(de)
    de.get_by_role("button", name="Send the request").click()
    de.wait_for_url(f"{base}/mla")
    nl.goto(f"{base}/mla")
    nl.get_by_role("link", name="Answer MLA-DE-NL-2026-J").click()
    nl.wait_for_selector("#mla-answer-form")
    nl.get_by_label("Status").select_option("executed")
    nl.get_by_label("Comment").fill("Travel records attached.\nPassenger lists follow.")
    shot(nl, "13-mla-answer")
    nl.get_by_role("button", name="Send the answer").click()
    nl.wait_for_selector("#mla-status")
    assert nl.locator("#mla-status").inner_text() == "executed"
    requests = read(node, DE, lambda s, v: s.entities(v, schema="LegalAssistanceRequest"))
    [request] = [r for r in requests if r.first("reference") == "MLA-DE-NL-2026-J"]
    assert mla.status_of(request) == "executed"
    # the answer's comment reached DE as a message; its line breaks are kept on screen
    de.goto(f"{base}/messages")
    de.locator("main a", has_text="MLA-DE-NL-2026-J").first.click()
    de.wait_for_selector("#message-body")
    body = de.locator("#message-body")
    assert body.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert body.inner_text().strip().splitlines()[-2:] == [
        "Travel records attached.",
        "Passenger lists follow.",
    ]
    shot(de, "14-message")

    # 6. an officer's red notice waits for a supervisor of DE-BKA, who approves it
    de.goto(f"{base}/notices/new?subject={suspect}")
    de.locator("#type-red").check()
    de.get_by_label("Reason").fill("Arrest warrant, Bremen district court.")
    shot(de, "15-notice-issue")
    de.get_by_role("button", name="Issue the notice").click()
    de.wait_for_url(f"{base}/notices")
    red = [
        n
        for n in read(node, DE, lambda s, v: s.entities(v, schema="Notice", limit=500))
        if n.first("subject") == suspect and n.first("noticeType") == "red"
    ]
    assert len(red) == 1 and notices.status_of(red[0]) == notices.REQUESTED
    assert de.get_by_role("button", name=f"Approve notice {red[0].id}").count() == 0
    boss = login(DE_SUPERVISOR)
    boss.goto(f"{base}/notices")
    shot(boss, "16-notice-approve")
    boss.get_by_role("button", name=f"Approve notice {red[0].id}").click()
    boss.wait_for_url(f"{base}/notices")
    approved = read(node, DE, lambda s, v: s.entity(v, red[0].id))
    assert notices.status_of(approved) == notices.ACTIVE

    # 7. FairWork's victim-support worker records an imported person as a victim, refers her
    ngo = login(SUPPORT)
    ngo.goto(f"{base}/entities/{victim_person}")
    nl.goto(f"{base}/entities/{victim_person}")  # an analyst is not offered the action
    assert nl.get_by_role("link", name="Record as victim").count() == 0
    ngo.get_by_role("link", name="Record as victim").click()
    ngo.wait_for_selector("#victim-form")
    assert ngo.locator("#person_id").input_value() == victim_person
    ngo.get_by_label("Form of exploitation").select_option("forced-labour-agriculture")
    ngo.get_by_label("Country of exploitation").fill("nl")
    ngo.get_by_label("partners: the agencies ticked below").check()
    ngo.locator("#partner_NL-KMAR").check()
    ngo.get_by_label("Protection needs").fill("shelter")
    shot(ngo, "17-victim-form")
    ngo.get_by_role("button", name="Record the victim").click()
    ngo.wait_for_selector("#referral-form")
    record_url = ngo.url
    ngo.locator("#referral-service").select_option("shelter")
    ngo.locator("#referral-provider").fill("Shelter Utrecht")
    ngo.get_by_role("button", name="Refer", exact=True).click()
    ngo.wait_for_selector("#referral-table")
    shot(ngo, "18-victim-record-support")
    fits_the_width(ngo)
    support_view = ngo.locator("main").inner_text()
    for detail in ("Mirela Dobreva", "forced-labour-agriculture", "Shelter Utrecht"):
        assert detail in support_view, detail

    # 8. the same record as NL-KMAR's analyst: it exists, none of its details show
    record_id = unquote(record_url.rsplit("/victims/", 1)[1])
    alias = read(node, NL, lambda s, v: aliases_of(s))[record_id]
    nl.goto(f"{base}/victims/{alias}")
    nl.wait_for_selector("#masked-note")
    shot(nl, "19-victim-record-analyst")
    analyst_view = nl.locator("main").inner_text()
    for detail in ("Mirela", victim_person, "forced-labour-agriculture", "Shelter Utrecht"):
        assert detail not in analyst_view, detail

    # 9. NL-KMAR's analyst confirms a suggested match in the review queue, then undoes it
    nl.goto(f"{base}/review")
    nl.wait_for_selector("#pair-1, #review-empty")
    assert nl.locator("#pair-1").count() == 1, "the demo world leaves pairs to review"
    left = nl.locator("#pair-1 input[name=left]").input_value()
    right = nl.locator("#pair-1 input[name=right]").input_value()
    shot(nl, "20-review")
    fits_the_width(nl)
    nl.locator("#pair-1").get_by_role("button", name="Same person").click()
    nl.wait_for_url(f"{base}/review?offset=0")
    assert (left, right) not in queue(nl), "the confirmed pair leaves the queue"
    undo = nl.get_by_role("region", name="Undo a decision")
    undo.get_by_label("Record").first.fill(left)
    undo.get_by_label("Record").nth(1).fill(right)
    undo.get_by_role("button", name="Undo confirm / reject").click()
    nl.wait_for_url(f"{base}/review?offset=0")
    assert (left, right) in queue(nl), "undone, the pair is back"
    shot(nl, "21-review-undone")

    # 10. every other page of the navigation, as DE-BKA's analyst, at 1280x800
    name = read(node, DE, lambda s, v: s.entity(v, suspect)).first("name")
    de.goto(f"{base}/search?q={name.split()[0]}")
    de.wait_for_selector("main h1")
    shot(de, "22-search")
    fits_the_width(de)
    pages = {
        "23-graph": (f"/graph?ego={suspect}&hops=2", "#nodes tbody tr"),
        "24-map": ("/map", "path.leaflet-interactive"),
        "25-trends": ("/trends", "#charts canvas"),
        "26-statistics": ("/statistics", "main h1"),
        "27-risk": ("/risk", "main h1"),
        "28-screening": ("/screening", "main h1"),
        "29-cases": ("/cases", "main h1"),
        "30-operations": ("/operations", "main h1"),
        "31-mla": ("/mla", "main h1"),
        "32-notices": ("/notices", "main h1"),
        "33-messages": ("/messages", "main h1"),
        "34-subscriptions": ("/subscriptions", "main h1"),
        "35-victims": ("/victims", "main h1"),
        "36-referrals": ("/referrals", "main h1"),
    }
    for shot_name, (path, ready) in pages.items():
        de.goto(f"{base}{path}")
        de.wait_for_selector(ready)
        shot(de, shot_name)
        fits_the_width(de)
