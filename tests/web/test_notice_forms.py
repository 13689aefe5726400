"""Notices through the web forms (issue 16): issue one about a person picked from those the
viewer can see, withdraw it (the issuing agency only), as the API rules; refused input next
to its field, nothing stored; CSRF. And a property: the subject picker never offers a person
the viewer may not see, whatever is typed. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.exchange import notices
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM
from tests.web.coord_forms_support import client, error_of, login, world, writes_since

__all__ = ["client", "world"]  # fixtures


def notice_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "notice_type": "blue",
        "subject": "a1.p1",
        "reason": "Recruiter seen at two border posts.",
        "scope": "group:EU",
        "expires": "",
        "issuing_country": "DE",
        **fields,
    }
    return form


def notice_ids(store: Store, viewer: Viewer) -> list[str]:
    return [e.id for e in store.entities(viewer, schema="Notice", limit=100)]


def test_issue_a_notice_on_a_person_found_by_name_then_withdraw_it(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    found = client.post(
        "/notices/new", data={**notice_form(csrf, subject=""), "do": "find", "find": "petrov"}
    )
    assert found.status_code == 200 and 'value="a1.p1"' in found.text
    before = len(store.audit_entries())
    done = client.post("/notices/new", data=notice_form(csrf), follow_redirects=False)
    assert done.status_code == 303, done.text
    assert writes_since(store, before) == [("write", "ada", "A1")]
    [notice_id] = notice_ids(store, world["A1"])
    notice = store.entity(world["B2"], notice_id)  # group:EU reaches B2 ...
    assert notice is not None and notices.status_of(notice) == notices.ACTIVE
    assert notice.first("subject") == "a1.p1" and notice.first("noticeType") == "blue"
    assert notice_ids(store, world["C3"]) == []  # ... not C3
    listed = client.get("/notices").text
    assert f'action="/notices/{notice_id}/withdraw"' in listed  # its issuer may withdraw

    csrf = login(client, "bea")  # B2 sees the notice but did not issue it: the API's 403
    assert f'action="/notices/{notice_id}/withdraw"' not in client.get("/notices").text
    refused = client.post(f"/notices/{notice_id}/withdraw", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "is not a notice of B2" in refused.text
    csrf = login(client, "cyd")
    hidden = client.post(f"/notices/{notice_id}/withdraw", data={"csrf_token": csrf})
    assert hidden.status_code == 404
    notice = store.entity(world["A1"], notice_id)
    assert notice is not None and notices.status_of(notice) == notices.ACTIVE

    csrf = login(client, "ada")
    before = len(store.audit_entries())
    gone = client.post(
        f"/notices/{notice_id}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert writes_since(store, before) == [("notice.withdraw", "ada", "A1")]
    notice = store.entity(world["B2"], notice_id)
    assert notice is not None and notices.status_of(notice) == notices.WITHDRAWN


def test_an_officers_red_notice_waits_and_a_role_without_it_is_refused(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    client.post("/notices/new", data=notice_form(csrf, notice_type="red"))
    [notice_id] = notice_ids(store, world["A1"])
    notice = store.entity(world["A1"], notice_id)
    assert notice is not None and notices.status_of(notice) == notices.REQUESTED
    store.add_user(SYSTEM, "ana", "A1", "analyst", password="pw-ana")
    csrf = login(client, "ana")  # an analyst only: the API refuses, so does the form
    refused = client.post("/notices/new", data=notice_form(csrf))
    assert refused.status_code == 403 and "may not issue a notice" in refused.text
    assert len(notice_ids(store, world["A1"])) == 1


@pytest.mark.parametrize(
    ("fields", "name", "reason"),
    [
        ({"notice_type": "pink"}, "notice_type", "is not one of"),
        ({"notice_type": ""}, "notice_type", "choose"),
        ({"subject": "b2.p9"}, "subject", "no visible person 'b2.p9'"),  # B2's, unshared
        ({"subject": ""}, "subject", "pick the person"),
        ({"reason": ""}, "reason", "say why"),
        ({"scope": "group:NOPE"}, "scope", "NOPE"),
        ({"expires": "2020-01-01"}, "expires", "is in the past"),
        ({"expires": "tomorrow"}, "expires", "is not a date"),
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_stored(
    client: TestClient,
    store: Store,
    world: dict[str, Viewer],
    fields: dict[str, str],
    name: str,
    reason: str,
) -> None:
    csrf = login(client, "ada")
    answer = client.post("/notices/new", data=notice_form(csrf, **fields))
    assert answer.status_code == 422
    assert reason in error_of(answer.text, name)
    assert name == "reason" or "Recruiter seen at two border posts." in answer.text
    assert notice_ids(store, world["A1"]) == []


def test_without_the_csrf_token_nothing_is_stored(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    login(client, "ada")
    assert client.post("/notices/new", data=notice_form("forged")).status_code == 403
    assert notice_ids(store, world["A1"]) == []
    notice_id = notices.issue_notice(store, world["A1"], "blue", "a1.p1", "r")
    assert client.post(f"/notices/{notice_id}/withdraw", data={}).status_code == 403
    notice = store.entity(world["A1"], notice_id)
    assert notice is not None and notices.status_of(notice) == notices.ACTIVE


# --- property: the picker offers only persons the viewer can see -------------------------

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
SCOPES = ("owner", "all", "group:G", "A1", "B2", "C3")
persons = st.lists(
    st.tuples(st.sampled_from(AGENCIES), st.sampled_from(SCOPES)), min_size=1, max_size=6
)


def reaches(owner: str, scope: str, agency: str) -> bool:
    return agency == owner or Sharing.parse(scope).reaches(owner, agency, GROUPS[agency])


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=persons, typed=st.integers(min_value=0, max_value=5))
def test_the_subject_picker_offers_only_visible_persons(
    store: Store, world: list[tuple[str, str]], typed: int
) -> None:
    """Each agency opens the form with one id typed in (``?subject=``, as from a link) and
    searches the shared surname: exactly the persons it may see are offered, never another
    agency's unshared one, not even the one whose id it typed."""
    from palermo.store.directory import Agency

    wipe(store)
    for code in AGENCIES:
        store.add_agency(SYSTEM, Agency(code, code, "DE", "police", GROUPS[code]))
        store.add_user(SYSTEM, code.lower(), code, "analyst,officer", password=f"pw-{code.lower()}")
    ids = []
    for n, (owner, scope) in enumerate(world):
        eid, sharing = f"{owner.lower()}.p{n}", Sharing.parse(scope)
        writer = store.viewer(owner.lower())
        store.write(
            writer,
            [
                Statement(eid, "Person", BASE, eid, owner, f"p{n}", sharing),
                Statement(eid, "Person", "name", f"Olga Haddad{n}", owner, f"p{n}", sharing),
            ],
        )
        ids.append(eid)
    asked = ids[typed % len(ids)]
    with TestClient(create_app(store)) as browser:
        for code in AGENCIES:
            login(browser, code.lower(), password=f"pw-{code.lower()}")
            page = browser.get(f"/notices/new?find=olga&subject={asked}").text
            offered = set(re.findall(r'name="subject" value="([^"]+)"', page))
            expected = {
                ids[n] for n, (owner, scope) in enumerate(world) if reaches(owner, scope, code)
            }
            assert offered == expected, (code, world)
            hidden = [ids[n] for n, (o, s) in enumerate(world) if not reaches(o, s, code)]
            assert not any(f"Haddad{h.split('.p')[1]}<" in page for h in hidden)
