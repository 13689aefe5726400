"""The court outcome form and the GLOTIP submission pages (issue 20), through the web only.

A1's analyst records a court outcome for one of A1's suspects from the suspect's profile;
refused input (a verdict date before the prosecution date, a code not in the ICCS list, a
partner's person) comes back with the message next to its field and stores nothing; a post
without the session's CSRF token is refused. The submission page then shows the conviction
as "<5" with a link to its trace, which lists the record; a bad year is shown next to the
select. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_case_forms import login

CONVICTED = "Persons convicted/Total/Total/Total/Total"


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    """A1 holds the suspect Ivo Marinov (shared with everyone); B2 holds Lena Vogt.
    ada (A1) and bea (B2) are analysts, adm an A1 admin without a data role."""
    v = setup_agencies(store, {"A1": (), "B2": ()})
    write_entity(store, v["A1"], "Person", {"name": "Ivo Marinov", "gender": "male"},
                 Sharing.to_all(), "a1.p1")  # fmt: skip
    write_entity(store, v["B2"], "Person", {"name": "Lena Vogt"}, Sharing.to_all(), "b2.p1")
    for user, agency, roles in (("ada", "A1", "analyst"), ("bea", "B2", "analyst"),
                                ("adm", "A1", "admin")):  # fmt: skip
        store.add_user(SYSTEM, user, agency, roles, password=f"pw-{user}")
    return v


@pytest.fixture
def client(store: Store, world: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def outcome_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "defendant": "a1.p1", "verdict": "convicted",
            "prosecution_date": "2023-02-01", "verdict_date": "2023-09-10",
            "offence_code": "02042", "exploitation_form": "forced-labour", "court": "LG Köln",
            "sharing": ""}  # fmt: skip
    return form | fields


def outcomes(store: Store, viewer: Viewer) -> list[str]:
    return [e.id for e in store.entities(viewer, schema="CourtOutcome", limit=50)]


def error_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error" role="alert">([^<]*)<', html)
    assert found is not None, f"no error next to {field}"
    return found.group(1)


def test_record_from_the_profile_then_the_submission_counts_it(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    profile = client.get("/entities/a1.p1")
    assert 'href="/court-outcomes/new?defendant=a1.p1"' in profile.text
    assert "Record court outcome" not in client.get("/entities/b2.p1").text  # not A1's record
    form = client.get("/court-outcomes/new?defendant=a1.p1")
    assert form.status_code == 200 and 'value="a1.p1"' in form.text and "Ivo Marinov" in form.text
    assert '<option value="02041">' in form.text and '<option value="dismissed">' in form.text
    before = client.get("/glotip?year=2023").text
    assert "Persons convicted" not in before
    done = client.post("/court-outcomes/new", data=outcome_form(csrf), follow_redirects=False)
    assert done.status_code == 303, done.text
    (oid,) = outcomes(store, world["A1"])
    assert done.headers["location"] == f"/entities/{quote(oid, safe='')}"
    assert outcomes(store, world["B2"]) == []  # shared with A1 only by default
    page = client.get("/glotip?year=2023")
    assert page.status_code == 200 and "Persons convicted" in page.text
    link = f'href="/glotip/trace?year=2023&amp;cell={quote(CONVICTED, safe="/")}"'
    assert link in page.text
    assert re.search(rf'data-cell="{CONVICTED}"[^>]*>&lt;5</a>', page.text)
    assert "Withheld: detected victims" in page.text  # an analyst: no victim tables
    assert 'href="/api/v1/glotip/submission?year=2023&amp;format=csv"' in page.text
    trace = client.get("/glotip/trace", params={"year": "2023", "cell": CONVICTED})
    assert trace.status_code == 200 and f'href="/entities/{quote(oid, safe="")}"' in trace.text
    csv = client.get("/api/v1/glotip/submission?year=2023&format=csv")  # the page's button
    assert csv.status_code == 200 and "Persons convicted" in csv.text


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"verdict_date": "2023-01-15"}, "verdict_date", "before the prosecution date"),
        ({"offence_code": "0201"}, "offence_code", "not an ICCS trafficking code"),
        ({"verdict": "guilty"}, "verdict", "is not one of"),
        ({"prosecution_date": ""}, "prosecution_date", "is needed"),
        ({"defendant": "b2.p1"}, "defendant", "not a person record of A1"),
        ({"defendant": "a1.nobody"}, "defendant", "no person"),
        ({"sharing": "agency:ZZ-NONE"}, "sharing", "sharing:"),
    ],
)
def test_refused_input_is_shown_next_to_its_field(
    client: TestClient, store: Store, world: dict[str, Viewer],
    fields: dict[str, str], field: str, words: str,
) -> None:  # fmt: skip
    csrf = login(client, "ada")
    answer = client.post("/court-outcomes/new", data=outcome_form(csrf, **fields))
    assert answer.status_code == 422
    assert words in error_of(answer.text, field)
    assert f'id="{field}" name="{field}"' in answer.text or f'id="{field}"' in answer.text
    assert 'value="LG Köln"' in answer.text  # the values as typed
    assert outcomes(store, world["A1"]) == []


def test_csrf_roles_and_bad_year(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    assert client.get("/glotip", follow_redirects=False).status_code == 303  # to /login
    login(client, "ada")
    form = outcome_form("wrong")
    assert client.post("/court-outcomes/new", data=form).status_code == 403
    del form["csrf_token"]
    assert client.post("/court-outcomes/new", data=form).status_code == 403
    assert outcomes(store, world["A1"]) == []
    bad = client.get("/glotip?year=1900")
    assert bad.status_code == 422 and "1900" in error_of(bad.text, "year")
    assert client.get("/glotip/trace?year=2023&cell=nonsense").status_code == 422
    empty = client.get("/glotip/trace", params={"year": "2023", "cell": CONVICTED})
    assert empty.status_code == 200 and 'id="trace-empty"' in empty.text
    admin = TestClient(client.app)
    login(admin, "adm")
    assert admin.get("/glotip?year=2023").status_code == 403
    assert admin.get("/court-outcomes/new").status_code == 403
