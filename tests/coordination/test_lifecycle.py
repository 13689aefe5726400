"""Issue 21: operations report only their own country; case validation and lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.app import create_app
from palermo.coordination import cases, operations
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies

ACTION = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
PARTICIPANTS = [
    operations.Participant("DE-BKA", "DE", "Europe/Berlin"),
    operations.Participant("NL-KMAR", "NL", "Europe/Amsterdam"),
]


@pytest.fixture
def v(store: Store) -> dict[str, Viewer]:
    found = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",), "TH-RTP": ()})
    store.write(found["DE-BKA"], person("DE-BKA", "s1", Sharing(), name="Aleksandr Volkov"))
    return found


# --- operations -------------------------------------------------------------------------


def test_finding_7_participant_reports_only_its_own_country(
    store: Store, v: dict[str, Viewer]
) -> None:
    op = operations.plan_operation(store, v["DE-BKA"], "Action day", PARTICIPANTS, ACTION)
    operations.report_result(store, v["DE-BKA"], op, "DE", arrests=3)
    with pytest.raises(AccessDenied, match=r"^country: NL-KMAR reports results for NL only"):
        operations.report_result(store, v["NL-KMAR"], op, "DE", arrests=100)
    operations.report_result(store, v["NL-KMAR"], op, "nl", arrests=2)
    board = operations.dashboard(store, v["DE-BKA"], op)
    assert board.by_country["DE"]["arrests"] == 3 and board.by_country["NL"]["arrests"] == 2


def test_finding_7_non_participant_cannot_report(store: Store, v: dict[str, Viewer]) -> None:
    op = operations.plan_operation(store, v["DE-BKA"], "Action day", PARTICIPANTS, ACTION)
    with pytest.raises(ValueError, match=r"^operation_id: no visible operation"):
        operations.report_result(store, v["TH-RTP"], op, "TH", arrests=1)


def test_finding_7_unknown_participant_agency_is_refused(
    store: Store, v: dict[str, Viewer]
) -> None:
    bad = [*PARTICIPANTS, operations.Participant("XX-NOPE", "XX", "UTC")]
    with pytest.raises(ValueError, match=r"^participants\.2\.agency: unknown agency 'XX-NOPE'"):
        operations.plan_operation(store, v["DE-BKA"], "Action day", bad, ACTION)
    assert store.entities(v["DE-BKA"], schema="JointOperation") == []


# --- case validation --------------------------------------------------------------------


def test_finding_8_unknown_exploitation_form_is_refused(store: Store, v: dict[str, Viewer]) -> None:
    with pytest.raises(ValueError, match=r"^exploitation_form: 'knitting' .*forced-labour"):
        cases.open_case(store, v["DE-BKA"], "BKA-1", "t", "knitting")


def test_finding_8_duplicate_case_number_is_refused(store: Store, v: dict[str, Viewer]) -> None:
    cases.open_case(store, v["DE-BKA"], "BKA-2026-20", "t", "forced-labour")
    with pytest.raises(ValueError, match=r"^case_number: DE-BKA already has a case"):
        cases.open_case(store, v["DE-BKA"], "BKA-2026-20", "again", "sexual")
    cases.open_case(store, v["NL-KMAR"], "BKA-2026-20", "theirs", "sexual")  # other agency


def test_finding_8_subjects_must_exist_and_be_visible(store: Store, v: dict[str, Viewer]) -> None:
    with pytest.raises(NotVisible, match=r"^subjects: no visible entity 'de-bka\.t1'"):
        cases.open_case(store, v["DE-BKA"], "BKA-3", "t", "sexual", subjects=["de-bka.t1"])
    with pytest.raises(NotVisible, match=r"^subjects: "):  # DE's owner-only suspect
        cases.open_case(store, v["NL-KMAR"], "KMAR-3", "t", "sexual", subjects=["de-bka.s1"])
    with pytest.raises(ValueError, match=r"^team: unknown agency 'NL-KMR'"):
        cases.open_case(store, v["DE-BKA"], "BKA-4", "t", "sexual", team={"NL-KMR": "member"})
    assert cases.open_case(store, v["DE-BKA"], "BKA-3", "t", "sexual", subjects=["de-bka.s1"])


# --- case lifecycle ---------------------------------------------------------------------


def _case(store: Store, v: dict[str, Viewer]) -> str:
    return cases.open_case(
        store, v["DE-BKA"], "JIT-1", "Joint", "sexual", team={"NL-KMAR": "member"}
    )


def test_finding_8_close_and_reopen_by_the_lead_only(store: Store, v: dict[str, Viewer]) -> None:
    case_id = _case(store, v)
    with pytest.raises(AccessDenied, match=r"^case_id: only the lead agency DE-BKA"):
        cases.close_case(store, v["NL-KMAR"], case_id)
    cases.close_case(store, v["DE-BKA"], case_id)
    seen = store.entity(v["NL-KMAR"], case_id)
    assert seen is not None and seen.values("caseStatus") == ["closed"]
    with pytest.raises(ValueError, match=r"^status: .* already closed"):
        cases.close_case(store, v["DE-BKA"], case_id)
    cases.reopen_case(store, v["DE-BKA"], case_id)
    seen = store.entity(v["DE-BKA"], case_id)
    assert seen is not None and seen.values("caseStatus") == ["open"]


def test_finding_8_team_add_role_and_remove(store: Store, v: dict[str, Viewer]) -> None:
    case_id = _case(store, v)
    cases.add_task(store, v["DE-BKA"], case_id, "Check flights")
    with pytest.raises(AccessDenied):
        cases.add_to_team(store, v["NL-KMAR"], case_id, "TH-RTP", "member")
    with pytest.raises(ValueError, match=r"^agency: unknown agency"):
        cases.add_to_team(store, v["DE-BKA"], case_id, "TH-RTX", "member")
    cases.add_to_team(store, v["DE-BKA"], case_id, "TH-RTP", "observer")
    file = cases.case_file(store, v["TH-RTP"], case_id)
    assert file is not None and len(file.tasks) == 1
    assert cases.team_of(file.case) == {"DE-BKA": "lead", "NL-KMAR": "member", "TH-RTP": "observer"}
    with pytest.raises(AccessDenied):  # observers only read
        cases.add_note(store, v["TH-RTP"], case_id, "x")
    cases.set_role(store, v["DE-BKA"], case_id, "TH-RTP", "member")
    cases.add_note(store, v["TH-RTP"], case_id, "now a member")
    with pytest.raises(AccessDenied):
        cases.set_role(store, v["NL-KMAR"], case_id, "TH-RTP", "observer")
    with pytest.raises(ValueError, match=r"^role: "):
        cases.set_role(store, v["DE-BKA"], case_id, "TH-RTP", "lead")
    cases.remove_from_team(store, v["DE-BKA"], case_id, "NL-KMAR")
    assert store.entity(v["NL-KMAR"], case_id) is None
    assert cases.case_file(store, v["NL-KMAR"], case_id) is None
    left = store.entity(v["DE-BKA"], case_id)
    assert left is not None and cases.team_of(left) == {"DE-BKA": "lead", "TH-RTP": "member"}
    with pytest.raises(ValueError, match=r"^agency: DE-BKA leads"):
        cases.remove_from_team(store, v["DE-BKA"], case_id, "DE-BKA")
    cases.add_to_team(store, v["DE-BKA"], case_id, "NL-KMAR", "observer")  # back at once
    back = cases.case_file(store, v["NL-KMAR"], case_id)
    assert back is not None and cases.team_of(back.case)["NL-KMAR"] == "observer"
    cases.remove_from_team(store, v["DE-BKA"], case_id, "NL-KMAR")
    cases.close_case(store, v["DE-BKA"], case_id)  # reaches the member added later
    seen = store.entity(v["TH-RTP"], case_id)
    assert seen is not None and seen.values("caseStatus") == ["closed"]


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def client(store: Store, v: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store, rate_limit=0)) as client:
        yield client


def auth(store: Store, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, username, 'test')}"}


def test_finding_8_api_case_lifecycle_and_validation(client: TestClient, store: Store) -> None:
    de, nl = auth(store, "analyst-de-bka"), auth(store, "analyst-nl-kmar")
    body = {"case_number": "BKA-9", "title": "t", "exploitation_form": "knitting"}
    bad = client.post("/api/v1/cases", json=body, headers=de)
    assert bad.status_code == 400 and bad.json()["field"] == "exploitation_form"
    body |= {"exploitation_form": "sexual", "team": {"NL-KMAR": "member"}}
    case_id = client.post("/api/v1/cases", json=body, headers=de).json()["id"]
    dup = client.post("/api/v1/cases", json=body, headers=de)
    assert dup.status_code == 400 and dup.json()["field"] == "case_number"
    missing = client.post(
        "/api/v1/cases", json={**body, "case_number": "B", "subjects": ["x"]}, headers=de
    )
    assert missing.status_code == 404 and missing.json()["field"] == "subjects"
    assert client.post(f"/api/v1/cases/{case_id}/close", headers=nl).status_code == 403
    assert client.post(f"/api/v1/cases/{case_id}/close", headers=de).json() == {"status": "closed"}
    assert client.post(f"/api/v1/cases/{case_id}/reopen", headers=de).status_code == 200
    added = client.post(
        f"/api/v1/cases/{case_id}/team", headers=de, json={"agency": "TH-RTP", "role": "observer"}
    )
    assert added.status_code == 200, added.text
    role = client.put(f"/api/v1/cases/{case_id}/team/TH-RTP", headers=de, json={"role": "member"})
    assert role.status_code == 200
    gone = client.delete(f"/api/v1/cases/{case_id}/team/NL-KMAR", headers=de)
    assert gone.status_code == 200
    assert client.get(f"/api/v1/cases/{case_id}", headers=nl).status_code in (400, 404)
    team = client.get(f"/api/v1/cases/{case_id}", headers=de).json()["team"]
    assert team == {"DE-BKA": "lead", "TH-RTP": "member"}


def test_finding_7_api_operation_results_own_country(client: TestClient, store: Store) -> None:
    de, nl = auth(store, "analyst-de-bka"), auth(store, "analyst-nl-kmar")
    plan = {
        "name": "Action day",
        "action_time": "2026-12-03T05:30:00+01:00",
        "participants": [
            {"agency": "DE-BKA", "country": "DE", "timezone": "Europe/Berlin"},
            {"agency": "NL-KMAR", "country": "NL", "timezone": "Europe/Amsterdam"},
        ],
    }
    unknown = {
        **plan,
        "participants": [
            *plan["participants"],  # type: ignore[misc]
            {"agency": "XX-NOPE", "country": "XX", "timezone": "UTC"},
        ],
    }
    refused = client.post("/api/v1/operations", json=unknown, headers=de)
    assert refused.status_code == 400 and refused.json()["field"] == "participants.2.agency"
    op = client.post("/api/v1/operations", json=plan, headers=de).json()["id"]
    foreign = client.post(
        f"/api/v1/operations/{op}/results", headers=nl, json={"country": "DE", "arrests": 100}
    )
    assert foreign.status_code == 403
    own = client.post(
        f"/api/v1/operations/{op}/results", headers=nl, json={"country": "NL", "arrests": 2}
    )
    assert own.status_code == 200
    board = client.get(f"/api/v1/operations/{op}", headers=de).json()
    assert "DE" not in board["by_country"] and board["by_country"]["NL"]["arrests"] == 2


def test_finding_19_api_subscriptions_list_and_delete_own_only(
    client: TestClient, store: Store
) -> None:
    de, nl = auth(store, "analyst-de-bka"), auth(store, "analyst-nl-kmar")
    sub = client.post(
        "/api/v1/subscriptions", json={"kind": "name", "value": "Ivan Petrov"}, headers=de
    ).json()["id"]
    listed = client.get("/api/v1/subscriptions", headers=de).json()
    assert [(s["id"], s["kind"], s["value"]) for s in listed] == [(sub, "name", "Ivan Petrov")]
    assert client.get("/api/v1/subscriptions", headers=nl).json() == []
    other = client.delete(f"/api/v1/subscriptions/{sub}", headers=nl)
    assert other.status_code == 404 and other.json()["field"] == "subscription_id"
    assert client.delete(f"/api/v1/subscriptions/{sub}", headers=de).status_code == 200
    assert client.get("/api/v1/subscriptions", headers=de).json() == []
    huge = client.delete("/api/v1/subscriptions/99999999999999999999", headers=de)
    assert huge.status_code == 422 and huge.json()["field"] == "subscription_id"
