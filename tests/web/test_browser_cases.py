"""Opening a case in a real browser (Debian's Chromium, with test_browser.py's demo node and
login): from a person's profile, "Open a case", fill the form with NL-KMAR on the team,
then add a task and a note on the case page. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from palermo.coordination import cases
from palermo.store.store import Store
from palermo.web.render import id_path
from tests.web.test_browser import USER, browser, node, page, shot  # noqa: F401 (fixtures)


def test_open_a_case_from_a_profile_then_add_a_task_and_a_note(
    page: Any,  # noqa: F811
    node: dict[str, Any],  # noqa: F811
) -> None:
    base = node["base"]
    store = Store.open(node["db"])
    viewer = store.viewer(USER)
    known = store.entity(viewer, node["story"].cases["DE-BKA"])
    assert known is not None
    subject = known.first("subjects")
    store.close()

    page.goto(f"{base}/entities/{id_path(subject)}")
    page.wait_for_selector("#actions")
    action = page.get_by_role("link", name="Open a case")
    assert action.count() == 1, "the profile offers no 'Open a case' (web/profile.py)"
    action.click()
    page.wait_for_selector("#case-form")
    assert page.get_by_label("Subjects").input_value().strip() == subject
    page.get_by_label("Title", exact=True).fill("Recruiters on the Bremen bus line")
    page.get_by_label("Form of exploitation").select_option("forced-labour")
    page.get_by_label("Description").fill("Two recruiters seen at the Bremen bus station.")
    page.locator("#role_NL-KMAR").select_option("member")
    shot(page, "30-case-new")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(f"{base}/cases/**")
    case_id = unquote(page.url.split("/cases/", 1)[1].split("#")[0])

    page.get_by_label("Task", exact=True).fill("Ask NL-KMAR for the passenger lists")
    page.get_by_label("Assignee").fill("NL-KMAR")
    page.get_by_label("Due date").fill("2026-12-15")
    page.get_by_role("button", name="Add the task").click()
    page.wait_for_selector("#tasks")
    page.get_by_label("Note", exact=True).fill("The bus company agreed to keep its CCTV.")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_selector("#notes li >> nth=1")
    shot(page, "31-case-page")
    assert "Ask NL-KMAR for the passenger lists" in page.locator("#tasks").inner_text()
    notes = page.locator("#notes").inner_text()
    assert "Bremen bus station" in notes and "keep its CCTV" in notes

    store = Store.open(node["db"])  # stored as DE-BKA leads it, shared with NL-KMAR's member
    file = cases.case_file(store, store.viewer("analyst-nl-kmar"), case_id)
    store.close()
    assert file is not None and file.case.first("subjects") == subject
    assert [t.first("dueDate") for t in file.tasks] == ["2026-12-15"]
    assert cases.team_of(file.case) == {"DE-BKA": "lead", "NL-KMAR": "member"}
