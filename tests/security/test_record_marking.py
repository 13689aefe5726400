"""`model.record_marking` is the one rule for the marking of records and identities, for
the ledger (store `Entity` objects) and the analyses (dicts carrying their marking text)
alike: the same records give the same markings either way, an identity's marking keeps
every restriction of each record the viewer reads, and a record it no longer reads lends
nothing (ADR 0034, ADR 0036)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.model.handling_merge import Marking
from palermo.model.record_marking import (
    KEY,
    carried_marking,
    identity_marking,
    identity_markings,
    record_markings,
)
from palermo.store.entity_marking import entity_marking
from palermo.store.views import Entity, Value
from tests.security.test_handling_propagation import markings

SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def _entity(record_id: str, marks: list[Marking]) -> Entity:
    """A record as the store assembles it: one value per marking, each with its policy."""
    values = [
        Value(f"v{i}", "A1", record_id, SEEN, None, f"p{i}", f"all|{m.text}", False, f"s{i}")
        for i, m in enumerate(marks)
    ]
    return Entity(record_id, "Person", {"name": values}, {"A1"})


def _as_dict(entity: Entity) -> dict[str, Any]:
    """The same record as `analysis.service` hands it to the analyses."""
    return {"id": entity.id, "schema": entity.schema, KEY: entity_marking(entity).text}


records = st.lists(st.lists(markings, min_size=1, max_size=3), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    records,
    st.lists(st.integers(min_value=0, max_value=2), min_size=6, max_size=6),
    st.sets(st.integers(min_value=0, max_value=5), max_size=3),
)
def test_one_rule_for_entities_and_analysis_records(
    marks: list[list[Marking]], groups: list[int], hidden: set[int]
) -> None:
    entities = [_entity(f"r{n}", ms) for n, ms in enumerate(marks)]
    by_entity = record_markings(entities, entity_marking)
    by_dict = record_markings([_as_dict(e) for e in entities], carried_marking)
    assert by_entity == by_dict

    identity_of = {e.id: f"i{groups[n]}" for n, e in enumerate(entities)}
    readable = {r: m for n, (r, m) in enumerate(by_entity.items()) if n not in hidden}
    merged = identity_markings(readable, identity_of)
    for identity in set(identity_of.values()):
        members = [r for r, i in identity_of.items() if i == identity]
        shown = [r for r in members if r in readable]
        one = identity_marking(members, readable)
        if shown:
            assert one == merged[identity]
        else:
            assert one == Marking() and identity not in merged  # nothing read: nothing lent
        for r in shown:
            assert one.no_looser_than(readable[r]), (identity, r)
        assert one == identity_marking(shown, readable)  # a hidden record lends no codes


def test_a_dict_without_a_marking_carries_none() -> None:
    assert carried_marking({"id": "r1"}) == Marking()
    assert record_markings([{"id": 7, KEY: "H1|B2"}], carried_marking) == {
        "7": Marking.parse("H1|B2")
    }
