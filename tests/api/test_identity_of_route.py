"""`GET /api/v1/identities/of/{record_id}` answers with the identity the analyses, the
profile and the review queue show (issue 15, ADR 0046): split at once when the viewer no
longer reads the record that joined it, joined at once when an analyst confirms a pair,
parted at once on a reject. Another agency's record, or one not resolved, is a 404.
SQLite and PostgreSQL (`store`)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.api.app import create_app
from palermo.match import incremental
from palermo.match.xref import CONFIRM, REJECT
from palermo.store.store import Store
from tests.analysis.test_review_ledger import add, chain
from tests.api.test_api import auth
from tests.security.test_ledger_split_property import PROPS


def lookup(client: TestClient, store: Store, record: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/identities/of/{record}", headers=auth(store, "analyst-a1"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def agrees(client: TestClient, store: Store, viewer: Viewer, record: str) -> set[str]:
    """The route's members of `record`'s identity, checked against the view's."""
    view = review.identities(store, viewer)
    found = lookup(client, store, record)
    assert found["id"] == view[record]
    records = {m["id"] for m in found["records"]}
    assert records == {r for r, i in view.items() if i == view[record]}
    return records


def test_the_route_gives_the_views_identity(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    incremental.run_batch(store, a1)
    with TestClient(create_app(store)) as client:
        whole = lookup(client, store, "a1.a")
        assert {m["id"] for m in whole["records"]} == {"a1.a", "b2.c", "a1.b", "b2.d"}
        assert whole["hidden"] == 0
        # B2 stops sharing b2.c: a1.a was joined to the others only through it
        store.retract(b2, "b2.c")
        add(store, b2, "b2.c", "owner", **PROPS["b2.c"])
        assert agrees(client, store, a1, "a1.a") == {"a1.a"}
        assert agrees(client, store, a1, "a1.b") == {"a1.b", "b2.d"}
        assert lookup(client, store, "a1.a")["hidden"] == 1  # b2.c, counted, not named
        # a confirm joins at once, a reject parts at once
        review.decide(store, a1, "a1.a", "a1.b", CONFIRM)
        assert agrees(client, store, a1, "a1.a") == {"a1.a", "a1.b", "b2.d"}
        review.decide(store, a1, "a1.b", "b2.d", REJECT)
        assert agrees(client, store, a1, "b2.d") == {"b2.d"}
        # not told: another agency's record, a record that does not exist
        for record in ("b2.c", "x9.none"):
            answer = client.get(
                f"/api/v1/identities/of/{record}", headers=auth(store, "analyst-a1")
            )
            assert answer.status_code == 404
        assert "b2.c" not in answer.text
