"""The entities holding every word of a search (``search_index._entities_holding``, ADR
0032 sixth amendment, issue 16): the two rarest words' entities read as index-only spans
and intersected, or the rarest's probed once each for the others, give exactly the
entities the probe of every index row gave; and on
PostgreSQL the index terms carry the finer statistics of migration 0028, so a prefix
range is estimated near its size. SQLite and PostgreSQL (``store``)."""

from __future__ import annotations

import importlib
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.model.statement import Statement
from palermo.store import search_index
from palermo.store.search_index import parse
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies
from tests.store.test_search_entity_terms import BOTH, EU
from tests.store.test_search_scale_property import WORDS, worlds
from tests.store.test_visibility_property import build_world, memberships


def holding_both_ways(store: Store, text: str) -> tuple[list[str], list[str]]:
    """The entities found with the two rarest words scanned (the second kept where the
    first's entities hold it, or both intersected), with the rarest scanned and the others
    probed, and by probing every row (as before); the first three must agree (asserted
    here), the caller compares them with the last."""
    words = parse(text).words
    with store.engine.connect() as conn:
        sizes = search_index._sizes(conn, words)
        order = sorted(range(len(words)), key=lambda i: sizes[i])
        ordered = [words[i] for i in order]
        scans = []
        for semi in (True, False):
            with (
                mock.patch.object(search_index, "SCAN_RATIO", 10**9),
                mock.patch.object(search_index, "INTERSECT_RATIO", 10**9),
                mock.patch.object(search_index, "HOLDING_SEMI_JOIN", semi),
                mock.patch.object(search_index, "SEMI_JOIN_DIALECTS", BOTH),
            ):
                scans.append(
                    search_index._entities_holding(conn, ordered, [sizes[i] for i in order])
                )
        probed = search_index._entities_holding(conn, ordered)
        old = search_index._entities_holding_by_rows(conn, ordered)
    assert scans[0] == scans[1] == probed, text
    return probed, old


def test_an_entity_holding_a_word_in_several_statements_is_found_once(store: Store) -> None:
    """p1 holds ``alder`` in its name, first name and alias (three rows of the first
    word), p2 in its name alone; p3 lacks the second word, p4 holds it only in another
    entity's statement; the last word is a prefix (its forms and range are two spans)."""
    viewers = setup_agencies(store, {"A1": ()})
    a1 = viewers["A1"]
    p1 = person("A1", "p1", EU, name="Alder Birch")
    p1 += person("A1", "p1", EU, firstName="Alder", alias="Alder Cedar")[1:]
    store.write(a1, p1)
    store.write(a1, person("A1", "p2", EU, name="Birch Alder"))
    store.write(a1, person("A1", "p3", EU, name="Alder Fircone"))
    store.write(a1, person("A1", "p4", EU, name="Alder"))
    store.write(a1, person("A1", "p5", EU, name="Birchwood"))
    for text, want in [
        ("alder birch", ["a1.p1", "a1.p2"]),
        ("alder bir", ["a1.p1", "a1.p2"]),
        ("birch alder", ["a1.p1", "a1.p2"]),
        ("alder birch cedar", ["a1.p1"]),
        ("alder dogwood", []),
    ]:
        new, old = holding_both_ways(store, text)
        assert new == want, text
        assert new == old, text


def test_the_limit_applies_to_distinct_entities(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(4):
        rows = person("A1", f"p{n}", EU, name="Alder Birch")
        rows += person("A1", f"p{n}", EU, firstName="Alder", lastName="Birch")[1:]
        store.write(viewers["A1"], rows)
    words = parse("alder birch").words
    everyone = [f"a1.p{n}" for n in range(4)]
    with store.engine.connect() as conn, mock.patch.object(search_index, "MAX_HITS", 3):
        sizes = search_index._sizes(conn, words)
        for found in [
            search_index._entities_holding(conn, words, sizes),  # both words scanned
            search_index._entities_holding(conn, words),  # the second probed
            search_index._entities_holding_by_rows(conn, words),
        ]:
            assert len(found) == 3 and set(found) < set(everyone), found


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    world=worlds(),
    query=st.lists(st.sampled_from(WORDS), min_size=2, max_size=3, unique=True),
    prefix=st.booleans(),
)
def test_spans_find_the_entities_every_row_probe_finds(
    store: Store,
    groups: dict[str, tuple[str, ...]],
    world: tuple[list[Statement], list[int]],
    query: list[str],
    prefix: bool,
) -> None:
    """On random worlds (several agencies, sharing, retractions): the same entities."""
    stmts, retract = world
    build_world(store, groups, stmts, retract)
    text = " ".join([*query[:-1], query[-1][:4] if prefix else query[-1]])
    new, old = holding_both_ways(store, text)
    assert new == old, text


def test_postgresql_keeps_fine_statistics_of_the_index_terms(store: Store) -> None:
    """Migration 0028 sets the target on ``search_term.term``; its downgrade restores the
    default. SQLite has no per-column statistics target."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL statistics target")
    query = sa.text(
        "SELECT attstattarget FROM pg_attribute "
        "WHERE attrelid = 'search_term'::regclass AND attname = 'term'"
    )
    migration = importlib.import_module(
        "palermo.store.migrations.versions.0028_search_term_statistics"
    )
    with store.engine.connect() as conn:
        assert conn.execute(query).scalar_one() == migration.TARGET == 10_000
    with store.engine.begin() as conn, mock.patch.object(migration, "op") as op:
        op.get_bind.return_value = conn
        migration.downgrade()
        assert conn.execute(query).scalar_one() == -1
        migration.upgrade()
        assert conn.execute(query).scalar_one() == 10_000


def test_the_second_word_is_scanned_only_when_not_much_larger(store: Store) -> None:
    """A word with more than ``SCAN_RATIO`` times the rarest word's rows is probed: the
    SQL then reads ``search_term`` under one alias per probed word. Scanned, it is kept
    where the rarest word's entities hold it (``IN``), or, switched back, both sets are
    intersected while within ``INTERSECT_RATIO``."""
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p0", EU, name="Cedar Alder"))
    for n in range(1, 12):
        store.write(viewers["A1"], person("A1", f"p{n}", EU, name="Alder Birch"))
    seen: list[str] = []

    def capture(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    words = parse("cedar alder").words
    for semi, ratio, probed in [
        (True, 100, False),
        (True, 2, True),
        (False, 100, False),
        (False, 2, True),
    ]:
        seen.clear()
        flag = "SCAN_RATIO" if semi else "INTERSECT_RATIO"
        with (
            store.engine.connect() as conn,
            mock.patch.object(search_index, flag, ratio),
            mock.patch.object(search_index, "HOLDING_SEMI_JOIN", semi),
            mock.patch.object(search_index, "SEMI_JOIN_DIALECTS", BOTH),
        ):
            sizes = search_index._sizes(conn, words)
            assert sizes[0] < sizes[1]
            sa.event.listen(conn, "before_cursor_execute", capture)
            found = search_index._entities_holding(conn, words, sizes)
            sa.event.remove(conn, "before_cursor_execute", capture)
        assert found == ["a1.p0"]
        assert ("word_1" in seen[0]) is probed
        assert ("INTERSECT" in seen[0]) is (not probed and not semi)
        assert (" IN (SELECT" in seen[0]) is (not probed and semi)
