"""Issue 21: a value retracted and said again in the same second is stored again (statement
ids carry seconds, so the new assertion once had the old one's id and was dropped), while a
peer replaying the old assertion never undoes the retraction (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from tests.store.factories import setup_agencies

WHEN = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def names(store: Store, viewer_agency: str, entity_id: str) -> list[str]:
    viewer = store.viewer(f"analyst-{viewer_agency}".lower())
    entity = store.entity(viewer, entity_id)
    return [] if entity is None else entity.values("name")


def stmt(agency: str, value: str) -> Statement:
    return Statement(
        "de-bka.p9", "Person", "name", value, agency, "p9", Sharing.parse("all"), first_seen=WHEN
    )


def test_retract_then_reassert_in_the_same_second_is_stored(store: Store) -> None:
    viewers = setup_agencies(store, {"DE-BKA": (), "NL-KMAR": ()})
    de = viewers["DE-BKA"]
    said = stmt("DE-BKA", "Ivan Petrov")
    store.write(de, [said])
    store.write(de, [said.retraction(WHEN)])
    assert names(store, "NL-KMAR", "de-bka.p9") == []
    store.write(de, [said])  # the same content, the same second
    assert names(store, "NL-KMAR", "de-bka.p9") == ["Ivan Petrov"]
    store.write(de, [said])  # and now it is current: a repeat changes nothing
    assert names(store, "NL-KMAR", "de-bka.p9") == ["Ivan Petrov"]


def test_retract_and_reassert_within_one_batch(store: Store) -> None:
    de = setup_agencies(store, {"DE-BKA": ()})["DE-BKA"]
    said = stmt("DE-BKA", "Ivan Petrov")
    assert store.write(de, [said, said.retraction(WHEN), said]) == 3
    assert names(store, "DE-BKA", "de-bka.p9") == ["Ivan Petrov"]


def test_a_replayed_assertion_from_a_peer_does_not_undo_a_retraction(store: Store) -> None:
    de = setup_agencies(store, {"DE-BKA": ()})["DE-BKA"]
    said = stmt("DE-BKA", "Ivan Petrov")
    store.write(de, [said])
    store.write(de, [said.retraction(WHEN)])
    with store.transaction() as conn:
        assert store.receive(conn, [said], "node-de") == 0
    assert names(store, "DE-BKA", "de-bka.p9") == []
