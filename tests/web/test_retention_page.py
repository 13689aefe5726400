"""The retention review page (issue 19): the owner keeps a record for a period with a
reason, or erases it, as the API allows; another agency's record is "not found"; refused
input is shown next to its field with nothing stored; CSRF. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.coordination import retention
from palermo.store.store import Store
from tests.web.coord_forms_support import client, error_of, login, world, writes_since

__all__ = ["client", "world"]  # fixtures


def queue(store: Store) -> None:
    """Six years on: A1's person (DE: review after 5 years) is queued for A1."""
    retention.sweep(store, datetime.now(UTC) + timedelta(days=366 * 6))


def test_keep_for_a_period_then_erase(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    queue(store)
    csrf = login(client, "ada")
    shown = client.get("/retention")
    assert shown.status_code == 200 and "a1.p1" in shown.text and "person" in shown.text

    before = len(store.audit_entries())
    kept = client.post(
        "/retention/decide",
        data={"csrf_token": csrf, "entity_id": "a1.p1", "decision": "keep",
              "reason": "open case K-17", "years": "2"},
        follow_redirects=False,
    )  # fmt: skip
    assert kept.status_code == 303, kept.text
    assert writes_since(store, before) == [("retention.keep", "ada", "A1")]
    assert retention.queued(store, world["A1"]) == []
    decided = json.loads(store.audit_entries()[-1].detail)
    assert decided["reason"] == "open case K-17"
    two_years = datetime.now(UTC) + timedelta(days=365.25 * 2)
    assert abs(datetime.fromisoformat(decided["next_review"]) - two_years) < timedelta(hours=1)
    assert "No records await review" in client.get("/retention").text

    queue(store)  # at the next sweep the record is due again
    assert [i.entity_id for i in retention.queued(store, world["A1"])] == ["a1.p1"]
    erased = client.post(
        "/retention/decide",
        data={"csrf_token": csrf, "entity_id": "a1.p1", "decision": "erase", "reason": "closed"},
        follow_redirects=False,
    )
    assert erased.status_code == 303, erased.text
    assert store.entity(world["A1"], "a1.p1") is None
    assert store.entity(world["B2"], "a1.p1") is None


def test_refusals_by_field_another_agencys_record_and_csrf(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    queue(store)
    csrf = login(client, "ada")
    before = len(store.audit_entries())
    base = {"csrf_token": csrf, "entity_id": "a1.p1", "decision": "keep"}

    no_reason = client.post("/retention/decide", data={**base, "reason": "  ", "years": "1"})
    assert no_reason.status_code == 422
    assert "reason" in error_of(no_reason.text, "r1-reason")
    too_long = client.post("/retention/decide", data={**base, "reason": "x", "years": "9"})
    assert too_long.status_code == 422
    assert "at most 5 years" in error_of(too_long.text, "r1-years")
    assert 'value="9"' in too_long.text  # the values as typed
    not_number = client.post("/retention/decide", data={**base, "reason": "x", "years": "two"})
    assert "is not a number" in error_of(not_number.text, "r1-years")
    no_choice = client.post("/retention/decide", data={**base, "reason": "x", "decision": "zap"})
    assert "choose keep or erase" in error_of(no_choice.text, "r1-decision")
    assert writes_since(store, before) == []
    assert [i.entity_id for i in retention.queued(store, world["A1"])] == ["a1.p1"]

    # B2 sees a1.p1 (group:EU) but the record is A1's: "not found", as the API's 404
    csrf_b = login(client, "bea")
    other = client.post(
        "/retention/decide",
        data={"csrf_token": csrf_b, "entity_id": "a1.p1", "decision": "erase", "reason": "x"},
    )
    assert other.status_code == 404
    assert "a1.p1" not in client.get("/retention").text
    forged = client.post(
        "/retention/decide",
        data={"csrf_token": "forged", "entity_id": "a1.p1", "decision": "erase", "reason": "x"},
    )
    assert forged.status_code == 403
    decisions = [w for w in writes_since(store, before) if w[0].startswith("retention")]
    assert decisions == []  # (the second login created a session token, nothing else)
    assert store.entity(world["B2"], "a1.p1") is not None
