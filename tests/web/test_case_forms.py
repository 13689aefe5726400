"""Case workflows in the browser (issue 16): open a case on a person, add tasks and notes,
change the status, through the web forms only; refused input is shown next to its field
and stores nothing; the forms follow the API's rules (CSRF, lead/member/observer).
SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import cases
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_profile import section

EU = Sharing.parse("group:EU")


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    """A1 and B2 in the EU group, C3 outside it; A1 shares a person with the EU group and
    keeps another to itself. Users with passwords for the browser."""
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    write_entity(store, v["A1"], "Person", {"name": "Ivan Petrov"}, EU, "a1.p1")
    write_entity(store, v["B2"], "Person", {"name": "Olga Berg"}, Sharing.owner_only(), "b2.p9")
    for user, agency in (("ada", "A1"), ("bea", "B2"), ("cyd", "C3")):
        store.add_user(SYSTEM, user, agency, "analyst", password=f"pw-{user}")
    return v


@pytest.fixture
def client(store: Store, world: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def login(client: TestClient, user: str) -> str:
    """Log in; returns the session's CSRF token."""
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    form = {"username": user, "password": f"pw-{user}", "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return token(client, "/cases/new")


def token(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def case_count(store: Store, viewer: Viewer) -> int:
    return len(store.entities(viewer, schema="InvestigationCase", limit=100))


def new_case(csrf: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "case_number": "A1-2026-7",
        "title": "Petrov network",
        "exploitation_form": "forced-labour",
        "subjects": "a1.p1",
        "description": "Recruiter seen at two border posts.",
        "role_B2": "member",
    }
    return {**form, **fields}


def test_open_a_case_on_a_person_then_add_a_task_and_a_note(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    form_page = client.get("/cases/new?subject=a1.p1").text
    assert 'name="subjects"' in form_page and ">a1.p1</textarea>" in form_page
    answer = client.post("/cases/new", data=new_case(csrf), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    case_id = location.removeprefix("/cases/")
    case = store.entity(world["A1"], case_id)
    assert case is not None and case.first("subjects") == "a1.p1"
    assert cases.team_of(case) == {"A1": "lead", "B2": "member"}
    page = client.get(location).text
    assert "A1-2026-7" in page and "Recruiter seen at two border posts." in section(page, "notes")

    task = {"csrf_token": csrf, "title": "Check the bus company", "assignee": "B2"}
    done = client.post(f"{location}/tasks", data={**task, "due": "2026-12-01"})
    assert done.status_code == 200 and "Check the bus company" in section(done.text, "tasks")
    note = {"csrf_token": csrf, "text": "Phone seized in Bremen."}
    noted = client.post(f"{location}/notes", data=note).text
    assert "Phone seized in Bremen." in section(noted, "notes")
    file = cases.case_file(store, world["B2"], case_id)  # the team member sees both
    assert file is not None and [t.first("dueDate") for t in file.tasks] == ["2026-12-01"]
    assert len(file.notes) == 2


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("exploitation_form", "slavery-ish", "is not a form of exploitation"),
        ("subjects", "b2.p9", "no visible entity"),  # B2's own record: not visible to A1
        ("title", "", "give the case a title"),
        ("role_C3X", "member", "unknown agency"),
        ("country", "Atlantis", "is not a valid country"),
        ("case_number", "", "empty"),
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_stored(
    client: TestClient, store: Store, world: dict[str, Viewer], field: str, value: str, reason: str
) -> None:
    csrf = login(client, "ada")
    answer = client.post("/cases/new", data=new_case(csrf, **{field: value}))
    assert answer.status_code == 422
    name = "team" if field.startswith("role_") else field
    message = html.unescape(re.sub(r"<[^>]+>", "", _error_of(answer.text, name)))
    assert message.startswith(f"{name}:") and reason in message
    assert "Traceback" not in answer.text
    assert 'value="Petrov network"' in answer.text or field == "title"  # values kept
    assert case_count(store, world["A1"]) == 0


def _error_of(page: str, name: str) -> str:
    """The message element placed next to the field ``name``."""
    found = re.search(rf'<span class="error" id="{name}-error" role="alert">(.*?)</span>', page)
    assert found is not None, f"no message next to {name}"
    return found.group(1)


def test_without_the_csrf_token_nothing_is_stored(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    login(client, "ada")
    form = new_case("")
    del form["csrf_token"]
    assert client.post("/cases/new", data=form).status_code == 403
    assert case_count(store, world["A1"]) == 0
    case_id = cases.open_case(store, world["A1"], "A1-1", "T", "sexual", team={"B2": "member"})
    task = {"title": "Sneaky", "csrf_token": "forged"}
    assert client.post(f"/cases/{case_id}/tasks", data=task).status_code == 403
    file = cases.case_file(store, world["A1"], case_id)
    assert file is not None and file.tasks == []


def test_only_the_lead_and_members_add_tasks_as_in_the_api(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    case_id = cases.open_case(store, world["A1"], "A1-2", "T", "sexual", team={"B2": "observer"})
    task = {"title": "Not mine to add"}
    csrf = login(client, "bea")  # B2 observes: it reads the case but may not add to it
    refused = client.post(f"/cases/{case_id}/tasks", data={**task, "csrf_token": csrf})
    assert refused.status_code == 403 and "only the lead and members" in refused.text
    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "cyd")  # C3 is outside the case: it does not exist for C3
    hidden = client.post(f"/cases/{case_id}/tasks", data={**task, "csrf_token": csrf})
    assert hidden.status_code == 404
    file = cases.case_file(store, world["A1"], case_id)
    assert file is not None and file.tasks == []
    api = client.post(f"/api/v1/cases/{case_id}/tasks", json=task)
    assert api.status_code == 404  # the API answers the same to the same agency


def test_a_field_error_on_the_case_page_keeps_the_values(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    case_id = cases.open_case(store, world["A1"], "A1-3", "T", "sexual")
    csrf = login(client, "ada")
    task = {"csrf_token": csrf, "title": "Visit", "due": "next week"}
    answer = client.post(f"/cases/{case_id}/tasks", data=task)
    assert answer.status_code == 422
    assert "is not a date" in _error_of(answer.text, "task-due") and 'value="Visit"' in answer.text
    file = cases.case_file(store, world["A1"], case_id)
    assert file is not None and file.tasks == []


def test_the_lead_changes_the_status_and_it_is_audited(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    case_id = cases.open_case(store, world["A1"], "A1-4", "T", "sexual", team={"B2": "member"})
    csrf = login(client, "bea")  # a member may not: the API's rule
    refused = client.post(f"/cases/{case_id}/status", data={"status": "closed", "csrf_token": csrf})
    assert refused.status_code == 403 and "only the lead agency A1" in refused.text
    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "ada")
    bad = client.post(f"/cases/{case_id}/status", data={"status": "gone", "csrf_token": csrf})
    assert bad.status_code == 422 and "is not one of" in _error_of(bad.text, "status-status")
    before = len(store.audit_entries())
    done = client.post(f"/cases/{case_id}/status", data={"status": "suspended", "csrf_token": csrf})
    assert done.status_code == 200 and section(done.text, "case-status") == "suspended"
    case = store.entity(world["A1"], case_id)
    assert case is not None and case.first("caseStatus") == "suspended"
    writes = [e for e in store.audit_entries()[before:] if e.action != "read"]
    assert [(e.action, e.username, e.agency, e.target) for e in writes] == [
        ("set.caseStatus", "ada", "A1", case_id)
    ]
    assert '"statements":2' in writes[0].detail  # the old status retracted, the new asserted
    assert store.audit_verify().ok
