"""MLA requests through the web forms (issue 16): draft one (requesting and requested state,
legal basis, measure, deadline, facts) and answer it as the requested agency only, as the
API rules. Refused input is shown next to its field and stores nothing; a missing CSRF token
is refused. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.coordination import legal, mla
from palermo.exchange import messages
from palermo.store.store import Store
from tests.web.coord_forms_support import client, error_of, login, world, writes_since

__all__ = ["client", "world"]  # fixtures
SOON = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


def draft(csrf: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf,
        "reference": "A1-MLA-2026-4",
        "requesting_country": "DE",
        "requested_agency": "B2",
        "requested_country": "",
        "request_type": "evidence",
        "legal_basis": "UNTOC (Palermo Convention) art. 18",
        "deadline": SOON,
        "victim_age": "16",
        "acts": ["recruitment"],
        "means": ["deception"],
        "purposes": ["forced-labour"],
    }
    return {**form, **fields}


def requests(store: Store, viewer: Viewer) -> list[str]:
    return [e.id for e in store.entities(viewer, schema="LegalAssistanceRequest", limit=100)]


def test_draft_a_request_and_the_requested_agency_answers_it(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    form = client.get("/mla/new").text
    assert 'value="DE"' in form and '<option value="B2"' in form
    before = len(store.audit_entries())
    sent = client.post("/mla/new", data=draft(csrf), follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert writes_since(store, before) == [("write", "ada", "A1")]
    [request_id] = requests(store, world["A1"])
    found = store.entity(world["B2"], request_id)
    assert found is not None and found.first("requestedCountry") == "nl"  # the agency's
    assert mla.facts_of(found) == legal.Facts(
        frozenset({"recruitment"}), frozenset({"deception"}), frozenset({"forced-labour"}), 16
    )
    assert (
        found.first("deadline") == SOON
        and found.first("legalBasis") == "UNTOC (Palermo Convention) art. 18"
    )
    assert requests(store, world["C3"]) == []  # shared with the requested agency only
    # the requester does not answer its own request: the form is refused
    assert client.get(f"/mla/{request_id}/answer").status_code == 403
    own = client.post(f"/mla/{request_id}/answer", data={"csrf_token": csrf, "status": "executed"})
    assert own.status_code == 403 and "only B2 answers it" in own.text

    csrf = login(client, "bea")
    page = client.get(f"/mla/{request_id}/answer")
    assert page.status_code == 200 and "A1-MLA-2026-4" in page.text
    before = len(store.audit_entries())
    answer = {"csrf_token": csrf, "status": "in-progress", "comment": "Bank records ordered."}
    done = client.post(f"/mla/{request_id}/answer", data=answer, follow_redirects=False)
    assert done.status_code == 303
    assert writes_since(store, before) == [("mla.status", "bea", "B2"), ("write", "bea", "B2")]
    back = store.entity(world["A1"], request_id)
    assert back is not None and mla.status_of(back) == "in-progress"  # shared back to A1
    [note] = messages.inbox(store, world["A1"])
    assert note.first("bodyText") == "Bank records ordered." and note.values("about") == [
        request_id
    ]
    bad = client.post(f"/mla/{request_id}/answer", data={"csrf_token": csrf, "status": "sent"})
    assert bad.status_code == 422 and "is not one of" in error_of(bad.text, "status")

    csrf = login(client, "cyd")  # a third agency: not a request it can see
    hidden = client.post(
        f"/mla/{request_id}/answer", data={"csrf_token": csrf, "status": "refused"}
    )
    assert hidden.status_code == 404
    back = store.entity(world["A1"], request_id)
    assert back is not None and mla.status_of(back) == "in-progress"


@pytest.mark.parametrize(
    ("fields", "name", "reason"),
    [
        ({"reference": ""}, "reference", "required"),
        ({"requested_agency": "A1"}, "requested_agency", "is not another member agency"),
        ({"requested_agency": "ZZ9"}, "requested_agency", "is not another member agency"),
        ({"request_type": "torture"}, "request_type", "is not one of"),
        ({"deadline": "soon"}, "deadline", "is not a date"),
        ({"deadline": "2020-01-01"}, "deadline", "is in the past"),
        ({"legal_basis": ""}, "legal_basis", "required"),
        ({"requested_country": "Atlantis"}, "requested_country", "not a valid country"),
        ({"victim_age": "sixteen"}, "victim_age", "is not a whole number"),
        ({"purposes": ["forced-labour", "slavery-ish"]}, "purposes", "is not one of"),
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_stored(
    client: TestClient,
    store: Store,
    world: dict[str, Viewer],
    fields: dict[str, str | list[str]],
    name: str,
    reason: str,
) -> None:
    csrf = login(client, "ada")
    answer = client.post("/mla/new", data=draft(csrf, **fields))
    assert answer.status_code == 422
    assert reason in error_of(answer.text, name)
    assert name == "reference" or 'value="A1-MLA-2026-4"' in answer.text  # values kept
    assert requests(store, world["A1"]) == []


def test_without_the_csrf_token_nothing_is_stored(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    login(client, "ada")
    assert client.post("/mla/new", data=draft("forged")).status_code == 403
    assert requests(store, world["A1"]) == []
    request_id = mla.create_request(
        store,
        world["A1"],
        "R-1",
        "DE",
        "NL",
        "B2",
        "evidence",
        "UNTOC",
        date(2030, 1, 1),
        legal.Facts(),
    )
    login(client, "bea")
    assert client.post(f"/mla/{request_id}/answer", data={"status": "refused"}).status_code == 403
    found = store.entity(world["A1"], request_id)
    assert found is not None and mla.status_of(found) == "sent"
