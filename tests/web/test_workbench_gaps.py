"""The last web gaps of issue 16, through the forms (SQLite and PostgreSQL): a supervisor
approves a requested notice (four eyes, the issuing agency only); the case lead adds an
agency to the team and publishes the case for deconfliction from the case page (the API's
rules: members and outsiders are refused); "Record as victim" on a profile for
victim-support users only. And a property: whichever agencies the lead adds through the
form, exactly those (and the lead) see the case."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import cases
from palermo.exchange import notices
from palermo.model.sharing import Sharing
from palermo.store.directory import Agency
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM
from tests.web.coord_forms_support import client, error_of, login, world, writes_since

__all__ = ["client", "world"]  # fixtures


def case_of_ada(store: Store, world: dict[str, Viewer]) -> str:
    return cases.open_case(store, world["A1"], "A1-7", "Recruiters", "sexual", ["a1.p1"])


def test_a_supervisor_approves_a_requested_notice(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    store.add_user(SYSTEM, "sam", "A1", "supervisor,analyst", password="pw-sam")
    store.add_user(SYSTEM, "sue", "B2", "supervisor,analyst", password="pw-sue")
    notice_id = notices.issue_notice(
        store, world["A1"], "red", "a1.p1", "Arrest warrant", Sharing.parse("all")
    )
    assert notices.status_of(store.entity(world["A1"], notice_id)) == notices.REQUESTED  # type: ignore[arg-type]
    approve = f'action="/notices/{notice_id}/approve"'

    csrf = login(client, "ada")  # the officer who issued it: no second pair of eyes
    assert approve not in client.get("/notices").text
    refused = client.post(f"/notices/{notice_id}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "needs supervisor" in refused.text
    csrf = login(client, "sue")  # a supervisor of another agency
    assert approve not in client.get("/notices").text
    other = client.post(f"/notices/{notice_id}/approve", data={"csrf_token": csrf})
    assert other.status_code == 403 and "is not a notice of B2" in other.text
    csrf = login(client, "sam")
    assert approve in client.get("/notices").text
    no_token = client.post(f"/notices/{notice_id}/approve", data={})
    assert no_token.status_code == 403
    assert notices.status_of(store.entity(world["A1"], notice_id)) == notices.REQUESTED  # type: ignore[arg-type]

    before = len(store.audit_entries())
    done = client.post(
        f"/notices/{notice_id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/notices"
    assert writes_since(store, before) == [("notice.approve", "sam", "A1")]
    assert notices.status_of(store.entity(world["A1"], notice_id)) == notices.ACTIVE  # type: ignore[arg-type]
    again = client.post(f"/notices/{notice_id}/approve", data={"csrf_token": csrf})
    assert again.status_code == 409 and "is active, not requested" in again.text


def test_the_lead_adds_an_agency_and_publishes_from_the_case_page(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    case_id = case_of_ada(store, world)
    csrf = login(client, "ada")
    page = client.get(f"/cases/{case_id}").text
    assert 'id="team-form"' in page and 'id="publish-form"' in page
    choices = re.search(r'<select id="team-agency".*?</select>', page, re.S)
    assert choices is not None  # every other agency is offered, not the lead
    assert re.findall(r'value="(\w+)"', choices.group(0)) == ["B2", "C3"]

    unknown = client.post(f"/cases/{case_id}/team", data={"csrf_token": csrf, "agency": "ZZ"})
    assert unknown.status_code == 422 and "ZZ" in error_of(unknown.text, "team-agency")
    empty = client.post(f"/cases/{case_id}/team", data={"csrf_token": csrf, "agency": ""})
    assert empty.status_code == 422
    assert error_of(empty.text, "team-agency") == "agency: pick the agency to add"
    assert store.entity(world["B2"], case_id) is None  # nothing stored

    added = client.post(
        f"/cases/{case_id}/team",
        data={"csrf_token": csrf, "agency": "B2", "role": "member"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    seen = store.entity(world["B2"], case_id)
    assert seen is not None and cases.team_of(seen) == {"A1": "lead", "B2": "member"}
    assert store.entity(world["C3"], case_id) is None

    before = len(store.audit_entries())
    published = client.post(
        f"/cases/{case_id}/deconfliction", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert published.status_code == 303
    assert ("deconfliction.publish", "ada", "A1") in writes_since(store, before)

    csrf = login(client, "bea")  # a member: no lead forms, and the API's 403 if posted
    page = client.get(f"/cases/{case_id}").text
    assert 'id="team-form"' not in page and 'id="publish-form"' not in page
    member = client.post(f"/cases/{case_id}/team", data={"csrf_token": csrf, "agency": "C3"})
    assert member.status_code == 403
    assert store.entity(world["C3"], case_id) is None
    refused = client.post(f"/cases/{case_id}/deconfliction", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "only the agency that owns and leads" in refused.text
    csrf = login(client, "cyd")  # off the team: the case does not exist for it
    hidden = client.post(f"/cases/{case_id}/deconfliction", data={"csrf_token": csrf})
    assert hidden.status_code == 404


def test_record_as_victim_is_offered_to_victim_support_only(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    store.add_user(SYSTEM, "val", "A1", "victim-support,analyst", password="pw-val")
    link = 'href="/victims/new?person=a1.p1"'
    login(client, "ada")
    assert link not in client.get("/entities/a1.p1").text
    login(client, "val")
    profile = client.get("/entities/a1.p1")
    assert profile.status_code == 200 and link in profile.text
    form = client.get("/victims/new?person=a1.p1").text
    assert re.search(r'id="person_id"[^>]*value="a1\.p1"', form), "the person is prefilled"


OTHERS = ("B2", "C3", "D4")


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(added=st.lists(st.sampled_from(OTHERS), unique=True, max_size=3))
def test_exactly_the_agencies_added_see_the_case(store: Store, added: list[str]) -> None:
    wipe(store)
    viewers = {}
    for code in ("A1", *OTHERS):
        store.add_agency(SYSTEM, Agency(code, code, "DE", "police", ("EU",)))
        user = store.add_user(SYSTEM, code.lower(), code, "analyst", password=f"pw-{code.lower()}")
        viewers[code] = user.viewer()
    case_id = cases.open_case(store, viewers["A1"], "A1-1", "Case", "sexual", [])
    with TestClient(create_app(store)) as c:
        csrf = login(c, "a1")
        for code in added:
            form = {"csrf_token": csrf, "agency": code, "role": "observer"}
            assert c.post(f"/cases/{case_id}/team", data=form).status_code == 200
    for code in OTHERS:
        assert (store.entity(viewers[code], case_id) is not None) == (code in added), code
