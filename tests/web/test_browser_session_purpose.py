"""The session's declared purpose in a real browser (Debian's Chromium, as test_browser.py;
ADR 0051): on a small node served by `palermo serve`, another agency's person whose name is
stated (H0) for investigation only. With no purpose declared the analyst's entity page leaves
the name out and says whom to ask (the page passes axe-core); declaring ``investigation`` in
the header bar's form shows it, on the search page too; declaring ``statistics`` hides it
again, and so does a new session. The trends and map pages say what the analysis API
withheld (the same note) and drop it once ``investigation`` is declared; so does a case page
(and the cases list) for another agency's case title. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies
from tests.web.served import log_in, served
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import CHROMIUM, browser, shot  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
USER, PASSWORD = "ines", "pw-ines-purpose"
NAME = "Tuvalu Purposeread"
MARKER = "withheld: H0, stated for other purposes; ask B2"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make browser installs Debian's package)")
        pytest.skip("Debian's chromium is not installed (make browser)")
    db = f"sqlite:///{tmp_path_factory.mktemp('purpose') / 'node.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    marked = Sharing.parse("all|H0:investigation")
    stmts = person("B2", "p1", Sharing.parse("all"), nationality="tv")
    stmts += [s for s in person("B2", "p1", marked, name=NAME) if s.prop == "name"]
    store.write(viewers["B2"], stmts)
    store.close()
    with served(db) as base:
        yield {"base": base, "db": db, "entity": stmts[0].entity_id}


def purpose_shown(page: Any) -> str:
    return str(page.get_by_label("Purpose of this session").input_value())


def declare(page: Any, purpose: str) -> None:
    page.get_by_label("Purpose of this session").select_option(purpose)
    with page.expect_navigation():
        page.get_by_role("button", name="Set purpose").click()


def test_the_session_purpose_shows_and_hides_a_value(
    browser: Any,  # noqa: F811
    node: dict[str, str],
) -> None:
    base, entity = node["base"], node["entity"]
    # CSP bypassed only to inject axe-core (as test_accessibility.py)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)  # the profile builds the workspace on a loaded machine
    log_in(page, base, USER, PASSWORD)
    page.goto(f"{base}/entities/{entity}")
    assert purpose_shown(page) == ""  # none declared: deny by default
    assert NAME not in page.content()
    assert MARKER in page.content()
    found = violations(page, AXE.read_text(encoding="utf-8"))
    assert not found, describe(found)  # the header form and the marker pass axe-core
    shot(page, "60-purpose-none")

    declare(page, "investigation")
    assert page.url.endswith(f"/entities/{entity}")  # back on the page it was set from
    assert purpose_shown(page) == "investigation"
    assert NAME in page.content()
    assert MARKER not in page.content()
    shot(page, "61-purpose-investigation")

    page.goto(f"{base}/search?q=purposeread")
    assert NAME in page.content()  # the same purpose for the whole session

    declare(page, "statistics")
    assert NAME not in page.content()
    assert MARKER in page.content()
    context.close()

    fresh = browser.new_context(viewport={"width": 1366, "height": 900})
    again = fresh.new_page()
    again.set_default_timeout(60_000)
    log_in(again, base, USER, PASSWORD)
    again.goto(f"{base}/entities/{entity}")
    assert purpose_shown(again) == ""  # a new session starts with none declared
    assert NAME not in again.content()
    fresh.close()


def note_after_answer(page: Any, path: str) -> Any:
    """The page at ``path`` once its script has shown the API's ``withheld`` marker (or that
    there is none): the note's ``data-state`` is set only when an answer arrived."""
    page.goto(path)
    page.wait_for_selector("#withheld[data-state]", state="attached")
    return page.locator("#withheld")


def test_the_analysis_pages_say_what_was_withheld(
    browser: Any,  # noqa: F811
    node: dict[str, str],
) -> None:
    """The trends, map and link-chart pages read the analysis API's ``withheld`` (ADR 0051's
    amendment), through one script (``withheld.js``):
    with none declared they say whom to ask, as text (the agency code from the data shows as
    text, never as markup) in a status region that passes axe-core; declaring
    ``investigation`` makes the note go, on both pages; ``statistics`` brings it back."""
    base = node["base"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)  # the workspace is built on a loaded machine
    log_in(page, base, USER, PASSWORD)
    axe = AXE.read_text(encoding="utf-8")
    chart = f"/graph?ego={node['entity']}"
    for path in ("/trends", "/map", chart):
        note = note_after_answer(page, f"{base}{path}")
        assert note.get_attribute("data-state") == "withheld", path
        assert note.is_visible(), path
        assert note.get_attribute("role") == "status", path
        text = note.inner_text()
        assert MARKER in text, (path, text)
        assert "none declared" in text and "B2 1" in text, (path, text)
        assert note.locator("strong").inner_text() == MARKER  # the note itself, not markup
        found = violations(page, axe)
        assert not found, describe(found)  # the note's contrast and role pass axe-core
        shot(page, f"62-withheld-{path.strip('/').split('?')[0]}")

    page.goto(f"{base}/trends")
    declare(page, "investigation")
    for path in ("/trends", "/map", chart):
        note = note_after_answer(page, f"{base}{path}")
        assert note.get_attribute("data-state") == "none", path
        assert not note.is_visible(), path
        assert MARKER not in page.content(), path

    declare(page, "statistics")  # back on /map, which reads for the new purpose
    note = note_after_answer(page, f"{base}/map")
    assert note.get_attribute("data-state") == "withheld"
    assert "purpose statistics" in note.inner_text()
    context.close()


CASE_TITLE = "Vanuatu Casetitle"


@pytest.fixture(scope="module")
def case_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A node of its own (the analysis pages above count B2's withheld records): B2's case,
    shared with every agency, its title stated (H0) for investigation only."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    db = f"sqlite:///{tmp_path_factory.mktemp('purpose-case') / 'node.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    store.add_user(SYSTEM, USER, "A1", "analyst", password=PASSWORD)
    case_id = "b2.case-purpose"
    plain, marked = Sharing.parse("all"), Sharing.parse("all|H0:investigation")
    values = [(BASE, case_id, plain), ("caseNumber", "B2-2026-77", plain)]
    values += [("title", CASE_TITLE, marked)]
    stmts = [Statement(case_id, "InvestigationCase", p, v, "B2", "c1", s) for p, v, s in values]
    store.write(viewers["B2"], stmts)
    store.close()
    with served(db) as base:
        yield {"base": base, "case": case_id}


def test_the_case_page_hides_a_withheld_value_until_its_purpose_is_declared(
    browser: Any,  # noqa: F811
    case_node: dict[str, str],
) -> None:
    """The coordination pages read for the session's purpose too (ADR 0051, amendment):
    with none declared the case page leaves the title out and says whom to ask; declaring
    ``investigation`` shows it and the note goes; ``court`` hides it again."""
    base = case_node["base"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log_in(page, base, USER, PASSWORD)
    page.goto(f"{base}/cases/{case_node['case']}")
    assert "B2-2026-77" in page.content()  # the case is shown, without the title
    assert CASE_TITLE not in page.content()
    note = page.get_by_role("note").filter(has_text=MARKER)
    assert note.is_visible() and "purpose none declared" in note.inner_text()
    found = violations(page, AXE.read_text(encoding="utf-8"))
    assert not found, describe(found)
    shot(page, "63-case-purpose-none")

    declare(page, "investigation")
    assert page.url.endswith(f"/cases/{case_node['case']}")
    assert CASE_TITLE in page.content()
    assert MARKER not in page.content()

    page.goto(f"{base}/cases")  # the list reads for the same purpose
    assert CASE_TITLE in page.content()
    declare(page, "court")
    assert CASE_TITLE not in page.content()
    assert MARKER in page.content()
    context.close()
