"""Each term's number of index rows (``search_term_count``, migration 0024, ADR 0032 third
amendment, issue 16), kept by triggers on ``search_term``: whatever path writes or deletes
terms (a write, an exchange receive, a re-index, a purge, a backfill, a plain delete), the
counts equal a ``GROUP BY`` of the index, and a query's rarity read from them equals the
capped count of its index rows, so the words are ordered exactly as before. SQLite and
PostgreSQL (``store``)."""

from __future__ import annotations

import importlib
from unittest import mock

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store import search_index
from palermo.store.purge import purge_statements
from palermo.store.search_index import Group, parse, search_term, search_term_count
from palermo.store.search_index import search_term_count_deferred as deferred
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.store.factories import person, setup_agencies
from tests.store.test_search_scale_property import WORDS, worlds
from tests.store.test_visibility_property import build_world, memberships

EU = Sharing.parse("group:EU")
COUNT_MIGRATION = "palermo.store.migrations.versions.0024_search_term_count"


def counted(store: Store) -> dict[str, int]:
    """term -> n of ``search_term_count``, terms counted zero left out."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(search_term_count.c.term, search_term_count.c.n))
        return {term: int(n) for term, n in rows if n}


def grouped(store: Store) -> dict[str, int]:
    """term -> number of index rows, counted from ``search_term`` itself."""
    with store.engine.connect() as conn:
        query = sa.select(search_term.c.term, sa.func.count()).group_by(search_term.c.term)
        return {term: int(n) for term, n in conn.execute(query)}


def rarities(store: Store, groups: list[Group], from_counts: bool) -> list[int]:
    with (
        store.engine.connect() as conn,
        mock.patch.object(search_index, "RARITY_FROM_COUNTS", from_counts),
    ):
        return search_index._rarities(conn, groups)


def test_every_path_that_writes_terms_keeps_the_counts(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",)})
    a1 = viewers["A1"]
    store.write(a1, person("A1", "p1", EU, name="Alder Birch", phone="+4915112345678"))
    store.write(a1, person("A1", "p2", EU, name="Alder Cedar"))
    assert counted(store) == grouped(store) and counted(store)["alder"] == 2
    with store.transaction() as conn:
        store.receive(conn, person("A1", "r1", EU, name="Alder Elmira"), "node-a1")
    assert counted(store)["alder"] == 3 and counted(store) == grouped(store)
    migration = importlib.import_module(
        "palermo.store.migrations.versions.0023_whole_latin_name_words"
    )
    with store.engine.begin() as conn:
        conn.execute(search_term.delete().where(search_term.c.term == "elmira"))
    assert counted(store)["mira"] == 1 and "elmira" not in counted(store)
    with store.engine.begin() as conn:  # re-index: finds the missing row and inserts it
        assert migration.reindex_glued_articles(conn) == 1
    assert counted(store)["elmira"] == 1 and counted(store) == grouped(store)
    with store.engine.begin() as conn:  # a purge deletes a statement's terms with it
        seq = conn.execute(
            sa.select(statement.c.seq).where(
                statement.c.entity_id == "a1.p2", statement.c.prop == "name"
            )
        ).scalar_one()
        purge_statements(conn, [seq], ("A1", "admin"), "purge", "a1.p2")
    assert counted(store)["alder"] == 2 and "cedar" not in counted(store)
    assert counted(store) == grouped(store)
    with store.engine.begin() as conn:  # a plain delete, then the backfill
        conn.execute(search_term.delete())
    assert counted(store) == {}
    with store.engine.begin() as conn:
        assert search_index.backfill(conn) > 0
    assert counted(store) == grouped(store) and counted(store)["alder"] == 2


def test_the_migration_recounts_and_can_run_again(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Nadia Haddad"))
    store.write(viewers["A1"], person("A1", "p2", EU, name="Nadia Alder"))
    migration = importlib.import_module(COUNT_MIGRATION)
    with store.engine.begin() as conn:
        conn.execute(search_term_count.delete())
    assert counted(store) == {}
    with store.engine.begin() as conn:
        assert migration.recount(conn) == len(grouped(store))
    assert counted(store) == grouped(store) and counted(store)["nadia"] == 2


def test_rarity_from_the_counts_is_the_capped_row_count(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(5):
        store.write(viewers["A1"], person("A1", f"p{n}", EU, name=f"Alder Birch{n}"))
    groups = [*parse("alder birch").words, *parse("birc").words, *parse("cedar").words]
    assert rarities(store, groups, True) == rarities(store, groups, False) == [5, 5, 5, 0]
    with mock.patch.object(search_index, "MAX_HITS", 1):  # the cap: MAX_HITS * 4
        assert rarities(store, groups, True) == rarities(store, groups, False) == [4, 4, 4, 0]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    world=worlds(),
    deleted=st.lists(st.sampled_from(WORDS), max_size=2, unique=True),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
    prefix=st.booleans(),
)
def test_counts_follow_the_index_and_order_words_as_before(
    store: Store,
    groups: dict[str, tuple[str, ...]],
    world: tuple[list[Statement], list[int]],
    deleted: list[str],
    query: list[str],
    prefix: bool,
) -> None:
    """Random writes, retractions and deletions of term rows: the counts always equal the
    index's rows per term, and a query's rarities (the last word as a prefix or not) are
    those counted in the index rows, with the cap as small as the data."""
    stmts, retract = world
    build_world(store, groups, stmts, retract)
    with store.engine.begin() as conn:
        conn.execute(search_term.delete().where(search_term.c.term.in_(deleted)))
    assert counted(store) == grouped(store)
    text = " ".join([*query[:-1], query[-1][:4] if prefix else query[-1]])
    words = list(parse(text).words)
    for cap in (search_index.MAX_HITS, 1):
        with mock.patch.object(search_index, "MAX_HITS", cap):
            assert rarities(store, words, True) == rarities(store, words, False), text


def deferred_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(deferred)).scalar_one())


def test_the_bulk_writer_counts_its_batch_exactly_and_leaves_no_marker(store: Store) -> None:
    """Migration 0025: on SQLite ``insert_new_terms`` counts a batch itself (the insert
    trigger skipped while its marker row is there). A batch with a row already in the index
    (skipped by the insert) is recounted, a failed batch leaves neither marker nor count,
    and a path that is not the bulk writer is still counted by the trigger."""
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Alder Birch"))
    store.write(viewers["A1"], person("A1", "p2", EU, name="Alder Birch Cedar"))
    assert counted(store)["alder"] == 2 and counted(store) == grouped(store)
    assert deferred_rows(store) == 0
    once = min(term for term, n in counted(store).items() if n == 1)  # a form of a name
    with store.engine.begin() as conn:
        seq, entity, *facts = conn.execute(
            sa.select(
                search_term.c.seq,
                search_term.c.entity_id,
                *(search_term.c[name] for name in search_index.FACTS),  # migration 0026
            ).where(search_term.c.term == once)
        ).one()
        rows = [(once, seq, "n", entity, *facts), ("alder", seq + 1000, "n", entity, *facts)]
        assert search_index.insert_new_terms(conn, rows) == 2  # one of them already there
    assert counted(store)[once] == 1 and counted(store)["alder"] == 3
    assert counted(store) == grouped(store) and deferred_rows(store) == 0
    driver_error = store.engine.dialect.loaded_dbapi.IntegrityError  # raw cursor: not wrapped
    with pytest.raises(driver_error), store.engine.begin() as conn:
        bad = [("alder", seq + 2000, "n", entity, *facts), (None, seq + 2001, "n", entity, *facts)]
        search_index.insert_new_terms(conn, bad)
    assert counted(store) == grouped(store) and deferred_rows(store) == 0
    with store.engine.begin() as conn:  # not the bulk writer: the trigger counts it
        conn.execute(
            search_term.insert().values(term="alder", seq=seq + 3000, kind="n", entity_id=entity)
        )
    assert counted(store)["alder"] == 4 and counted(store) == grouped(store)
