"""Joint operations through the web forms (issue 16): plan one with participants, time
zones, targets and an action time; change the plan (coordinator only); report results per
agency, each for its own country only, as the API rules. Refused input is shown next to its
field and stores nothing; a missing CSRF token is refused. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.coordination import operations
from palermo.coordination.operations import Participant
from palermo.store.store import Store
from tests.web.coord_forms_support import client, error_of, login, world, writes_since

__all__ = ["client", "world"]  # fixtures


def plan_form(csrf: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "name": "Operation Harbour",
        "action_time": "2026-12-03T05:30",
        "action_zone": "Europe/Berlin",
        "take_A1": "1",
        "country_A1": "DE",
        "timezone_A1": "Europe/Berlin",
        "take_B2": "1",
        "country_B2": "NL",
        "timezone_B2": "Europe/Amsterdam",
        "country_C3": "TH",
        "timezone_C3": "Asia/Bangkok",
        "targets": "a1.p1",
        "target_notes": "Recruiter, two addresses.",
    }
    return {k: v for k, v in {**form, **fields}.items() if v is not None}


def visible_operations(store: Store, viewer: Viewer) -> list[str]:
    return [e.id for e in store.entities(viewer, schema="JointOperation", limit=100)]


def plan(store: Store, world: dict[str, Viewer]) -> str:
    return operations.plan_operation(
        store,
        world["A1"],
        "Operation Harbour",
        [Participant("A1", "DE", "Europe/Berlin"), Participant("B2", "NL", "Europe/Amsterdam")],
        datetime(2026, 12, 3, 4, 30, tzinfo=UTC),
        ["a1.p1"],
    )


def test_plan_an_operation_with_a_target_found_by_name(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    found = client.post("/operations/new", data={**plan_form(csrf), "do": "find", "find": "petrov"})
    assert found.status_code == 200 and 'value="a1.p1"' in found.text  # offered to pick
    assert 'value="b2.p9"' not in client.get("/operations/new?find=berg").text  # B2's own
    before = len(store.audit_entries())
    answer = client.post("/operations/new", data=plan_form(csrf), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    op_id = answer.headers["location"].removeprefix("/operations/")
    op = store.entity(world["A1"], op_id)
    assert op is not None and op.first("actionTime") == "2026-12-03T04:30:00+00:00"
    assert op.values("targets") == ["a1.p1"] and op.first("coordinator") == "A1"
    assert sorted(op.values("participants")) == [
        "A1|DE|Europe/Berlin",
        "B2|NL|Europe/Amsterdam",
    ]
    assert writes_since(store, before) == [("write", "ada", "A1")]
    assert op_id in visible_operations(store, world["B2"])  # shared with the participant
    assert op_id not in visible_operations(store, world["C3"])  # and no one else
    board = client.get(answer.headers["location"]).text
    assert "Operation Harbour" in board and "05:30:00+01:00" in board  # Berlin local time


@pytest.mark.parametrize(
    ("fields", "name", "reason"),
    [
        ({"name": ""}, "name", "give the operation a name"),
        ({"action_time": "next Tuesday"}, "action_time", "is not a date and time"),
        ({"action_zone": "Mars/Olympus"}, "action_zone", "is not an IANA time zone"),
        ({"timezone_B2": "Europe/Amsterdm"}, "timezone_B2", "is not an IANA time zone"),
        ({"country_B2": ""}, "country_B2", "is not a country code"),
        ({"take_A1": None, "take_B2": None}, "participants", "at least one"),
        ({"targets": "b2.p9"}, "targets", "no visible person 'b2.p9'"),  # B2's, unshared
        ({"targets": "nobody.p0"}, "targets", "no visible person"),
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_stored(
    client: TestClient,
    store: Store,
    world: dict[str, Viewer],
    fields: dict[str, str | None],
    name: str,
    reason: str,
) -> None:
    csrf = login(client, "ada")
    form = {k: v for k, v in {**plan_form(csrf), **fields}.items() if v is not None}
    answer = client.post("/operations/new", data=form)
    assert answer.status_code == 422
    assert reason in error_of(answer.text, name)
    assert "Traceback" not in answer.text
    assert name == "name" or 'value="Operation Harbour"' in answer.text  # values kept
    assert visible_operations(store, world["A1"]) == []


def test_without_the_csrf_token_nothing_is_stored(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    login(client, "ada")
    assert client.post("/operations/new", data=plan_form("forged")).status_code == 403
    form = plan_form("")
    del form["csrf_token"]
    assert client.post("/operations/new", data=form).status_code == 403
    assert visible_operations(store, world["A1"]) == []
    op_id = plan(store, world)
    csrf = login(client, "bea")
    refused = client.post(f"/operations/{op_id}/results", data={"country": "NL", "arrests": "2"})
    assert refused.status_code == 403
    assert operations.dashboard(store, world["A1"], op_id).by_country == {}
    assert csrf  # the session's token was there to send, and was not sent


def test_each_agency_reports_results_for_its_own_country_only(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    op_id = plan(store, world)
    csrf = login(client, "bea")
    form = client.get(f"/operations/{op_id}/results").text
    assert '<option value="NL"' in form and '<option value="DE"' not in form
    before = len(store.audit_entries())
    done = client.post(
        f"/operations/{op_id}/results",
        data={"csrf_token": csrf, "country": "NL", "arrests": "3", "victimsRescued": "2"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert writes_since(store, before) == [("write", "bea", "B2")]
    # B2 may not add to DE's figures: the same 403 as the API gives B2
    refused = client.post(
        f"/operations/{op_id}/results",
        data={"csrf_token": csrf, "country": "DE", "arrests": "5"},
    )
    assert refused.status_code == 403 and "reports results for NL only" in refused.text
    api = client.post(f"/api/v1/operations/{op_id}/results", json={"country": "DE", "arrests": 5})
    assert api.status_code == 403
    bad = client.post(
        f"/operations/{op_id}/results",
        data={"csrf_token": csrf, "country": "NL", "arrests": "-1"},
    )
    assert bad.status_code == 422 and "not a whole number" in error_of(bad.text, "arrests")

    csrf = login(client, "ada")
    client.post(
        f"/operations/{op_id}/results",
        data={"csrf_token": csrf, "country": "DE", "arrests": "4", "documentsSeized": "7"},
    )
    board = operations.dashboard(store, world["A1"], op_id)
    assert board.by_country["NL"]["arrests"] == 3 and board.by_country["NL"]["victimsRescued"] == 2
    assert board.by_country["DE"]["arrests"] == 4 and board.by_country["DE"]["documentsSeized"] == 7
    assert board.missing_reports == []

    csrf = login(client, "cyd")  # C3 does not take part: the operation does not exist for it
    hidden = client.post(
        f"/operations/{op_id}/results", data={"csrf_token": csrf, "country": "TH", "arrests": "1"}
    )
    assert hidden.status_code == 404
    assert client.get(f"/operations/{op_id}/results").status_code == 404
    assert operations.dashboard(store, world["A1"], op_id).totals["arrests"] == 7


def test_the_coordinator_changes_the_plan_and_reshares_it(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    op_id = plan(store, world)
    csrf = login(client, "bea")  # a participant reads the plan but does not change it
    assert client.get(f"/operations/{op_id}/edit").status_code == 403
    refused = client.post(f"/operations/{op_id}/edit", data=plan_form(csrf, name="Mine now"))
    assert refused.status_code == 403 and "only the coordinator A1" in refused.text
    csrf = login(client, "cyd")
    assert client.post(f"/operations/{op_id}/edit", data=plan_form(csrf)).status_code == 404

    csrf = login(client, "ada")
    shown = client.get(f"/operations/{op_id}/edit").text
    assert 'value="2026-12-03T05:30"' in shown and 'value="Europe/Berlin"' in shown
    before = len(store.audit_entries())
    changed = plan_form(csrf, name="Operation Harbour II", action_time="2026-12-04T06:00")
    changed.update(take_B2="", take_C3="1")
    del changed["take_B2"]
    answer = client.post(f"/operations/{op_id}/edit", data=changed, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert writes_since(store, before) == [("operation.amend", "ada", "A1")]
    op = store.entity(world["C3"], op_id)  # the new participant sees the whole plan
    assert op is not None and op.first("name") == "Operation Harbour II"
    assert op.first("actionTime") == "2026-12-04T05:00:00+00:00"
    assert op.values("targets") == ["a1.p1"]
    assert op_id not in visible_operations(store, world["B2"])  # taken off: no longer sees it
    same = client.post(f"/operations/{op_id}/edit", data=changed, follow_redirects=False)
    assert same.status_code == 303
    assert writes_since(store, before) == [("operation.amend", "ada", "A1")]  # no change
    bad = client.post(f"/operations/{op_id}/edit", data={**changed, "timezone_C3": "Bangkok"})
    assert bad.status_code == 422 and "(C3)" in error_of(bad.text, "timezone_C3")
