"""Words intersected in the index (migration 0022, ADR 0032 amendment, issue 16): every
term row carries its statement's entity, whichever path wrote it; a search of two or more
words finds the entities holding every word in ``search_term`` alone and then reads their
statements through the access rule. Whatever the index says, an agency finds exactly the
entities it may read an unmasked, current value of for every word (never an unshared,
masked or retracted one), and exactly what the read of ADR 0032 (``_and``) finds: the
same matches, ranks, facets and truncation. SQLite and PostgreSQL (``store``)."""

from __future__ import annotations

import importlib
from typing import Any
from unittest import mock

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store import search_index
from palermo.store.search_index import Filters, parse, search_term
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.store.factories import person, setup_agencies
from tests.store.test_search_scale_property import WORDS, expected, worlds
from tests.store.test_visibility_property import AGENCIES, build_world, memberships

EU = Sharing.parse("group:EU")
OWNER = Sharing.parse("owner")
SENSITIVE = Sharing.parse("group:EU", ["victim-sensitive"])


def entity_of_terms(store: Store) -> list[tuple[Any, Any]]:
    """(term row's entity, its statement's entity) for every term row."""
    with store.engine.connect() as conn:
        query = sa.select(search_term.c.entity_id, statement.c.entity_id).join(
            statement, statement.c.seq == search_term.c.seq
        )
        return [(a, b) for a, b in conn.execute(query)]


def test_every_write_path_stores_the_entity_with_the_terms(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",)})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Alder Birch", phone="+4915112345678"))
    with store.transaction() as conn:
        store.receive(conn, person("A1", "r1", EU, passportNumber="ZZ 1234567"), "node-a1")
    rows = entity_of_terms(store)
    assert {b for _, b in rows} == {"a1.p1", "a1.r1"}
    assert all(a == b for a, b in rows), rows


def test_backfill_and_migration_fill_the_entity_of_old_rows(store: Store) -> None:
    """Rows written before 0022 (0008's backfill, 0021's re-made terms) have no entity;
    0022 fills them from their statements, and running it again changes nothing."""
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Nadia Haddad"))
    store.write(viewers["A1"], person("A1", "p2", EU, name="Alder Birch"))
    with store.engine.begin() as conn:
        conn.execute(search_term.delete())
        assert search_index.backfill(conn, with_entity=False) > 0
    assert {a for a, _ in entity_of_terms(store)} == {None}
    assert [e.id for e in store.search(viewers["A1"], "nadia haddad")] == []  # no entity yet
    migration = importlib.import_module("palermo.store.migrations.versions.0022_search_term_entity")
    with store.engine.begin() as conn:
        assert migration.fill(conn) == len(entity_of_terms(store))
        assert migration.fill(conn) == 0
    rows = entity_of_terms(store)
    assert rows and all(a == b for a, b in rows), rows
    assert [e.id for e in store.search(viewers["A1"], "nadia haddad")] == ["a1.p1"]
    with store.engine.begin() as conn:
        conn.execute(search_term.delete())
        assert search_index.backfill(conn) > 0  # the normal backfill stores the entity
    assert all(a == b for a, b in entity_of_terms(store))


BOTH = ("postgresql", "sqlite")  # each way tested on both backends, whichever one uses it


def run_both(
    store: Store, viewer: Viewer, text: str, filters: Filters | None = None
) -> tuple[search_index.Outcome, search_index.Outcome]:
    """The outcome with the words intersected in the index, and with ``_and`` alone.

    Either way, the candidates' rows are read again from the words' index rows (judged on
    their copied facts) or as their statements: asserted the same here."""
    outcomes: dict[bool, list[search_index.Outcome]] = {True: [], False: []}
    with store.engine.connect() as conn:
        for intersect in (True, False):
            for rescan in (False, True):
                with (
                    mock.patch.object(search_index, "INTERSECT_IN_INDEX", intersect),
                    mock.patch.object(search_index, "ROWS_FROM_INDEX", rescan),
                    mock.patch.object(search_index, "RESCAN_PER_ENTITY", 10**9),
                    mock.patch.object(search_index, "RESCAN_DIALECTS", BOTH),
                ):
                    found = search_index.run(conn, viewer, parse(text), filters or Filters())
                outcomes[intersect].append(found)
            assert outcomes[intersect][0] == outcomes[intersect][1], (text, intersect)
        default = search_index.run(conn, viewer, parse(text), filters or Filters())
    assert default == outcomes[True][0], text
    return outcomes[True][0], outcomes[False][0]


def test_a_word_only_an_unreadable_statement_holds_finds_nothing(store: Store) -> None:
    """The index holds every word for a1.p1 (so it is a candidate), but B2 may read only
    its shared name: the alias is unshared, the weak alias masked, the previous name
    retracted. None of them supplies a word."""
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    a1, b2 = viewers["A1"], viewers["B2"]
    p1 = person("A1", "p1", EU, name="Alder Birch")
    p1 += person("A1", "p1", OWNER, alias="Cedar")[1:]
    p1 += person("A1", "p1", SENSITIVE, weakAlias="Fircone")[1:]
    dogwood = person("A1", "p1", EU, previousName="Dogwood")[1:]
    store.write(a1, p1 + dogwood)
    store.write(a1, [dogwood[0].retraction()])
    store.write(a1, person("A1", "p2", EU, name="Alder Cedar"))
    with store.engine.connect() as conn:
        both = parse("alder cedar").words
        assert search_index._entities_holding(conn, both) == ["a1.p1", "a1.p2"]
    for text, viewer, want in [
        ("alder cedar", b2, ["a1.p2"]),
        ("alder cedar", a1, ["a1.p1", "a1.p2"]),
        ("alder fircone", b2, []),
        ("alder dogwood", b2, []),
        ("alder dogwood", a1, []),
        ("alder birch", viewers["C3"], []),
        ("birch alder", b2, ["a1.p1"]),
        ("alder ced", b2, ["a1.p2"]),  # the last word as a prefix
    ]:
        new, old = run_both(store, viewer, text)
        assert [m.entity_id for m in new.matches] == want, (text, viewer.agency)
        assert new == old, text


def test_past_max_hits_entities_the_words_are_read_as_before(store: Store) -> None:
    """When the index finds ``MAX_HITS`` entities or more, ``_and`` answers (with its
    floor): the intersection returns nothing to use."""
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Alder Birch"))
    store.write(viewers["A1"], person("A1", "p2", EU, name="Alder Birch"))
    calls: list[str] = []
    real = search_index._and

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append("and")
        return real(*args, **kw)

    with mock.patch.object(search_index, "_and", spy):
        found = store.search(viewers["A1"], "alder birch")
        assert sorted(e.id for e in found) == ["a1.p1", "a1.p2"]
        assert calls == []
        with mock.patch.object(search_index, "MAX_HITS", 2):
            found = store.search(viewers["A1"], "alder birch")
        assert calls == ["and"]
        assert sorted(e.id for e in found) == ["a1.p1", "a1.p2"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    world=worlds(),
    query=st.lists(st.sampled_from(WORDS), min_size=2, max_size=3, unique=True),
    prefix=st.booleans(),
    agency_filter=st.sampled_from([None, *AGENCIES]),
)
def test_intersected_words_match_only_what_the_viewer_may_read_and_as_before(
    store: Store,
    groups: dict[str, tuple[str, ...]],
    world: tuple[list[Statement], list[int]],
    query: list[str],
    prefix: bool,
    agency_filter: str | None,
) -> None:
    stmts, retract = world
    viewers, retracted = build_world(store, groups, stmts, retract)
    text = " ".join([*query[:-1], query[-1][:4] if prefix else query[-1]])
    for agency in AGENCIES:
        new, old = run_both(store, viewers[agency], text, Filters(agency=agency_filter))
        # With an agency filter every word must come from that agency's statements.
        own = [s for s in stmts if agency_filter in (None, s.agency)]
        want = expected(own, retracted, agency, groups, query)
        assert {m.entity_id for m in new.matches} == want, (agency, text)
        assert new == old, (agency, text)


def searched_with_spy(
    store: Store, viewer: Viewer, spied: str, per_entity: int, intersect: bool = True
) -> tuple[list[str], mock.Mock]:
    """The entities ``alder birch`` finds with ``RESCAN_PER_ENTITY`` at ``per_entity``, and
    a spy on ``search_index.<spied>`` (the read taken past that limit)."""
    spy = mock.Mock(wraps=getattr(search_index, spied))
    with (
        store.engine.connect() as conn,
        mock.patch.object(search_index, "INTERSECT_IN_INDEX", intersect),
        mock.patch.object(search_index, "RESCAN_PER_ENTITY", per_entity),
        mock.patch.object(search_index, "RESCAN_DIALECTS", BOTH),
        mock.patch.object(search_index, spied, spy),
    ):
        outcome = search_index.run(conn, viewer, parse("alder birch"), Filters())
    return sorted(m.entity_id for m in outcome.matches), spy


def test_the_candidates_rows_are_read_again_only_while_the_words_are_small(store: Store) -> None:
    """Up to ``RESCAN_PER_ENTITY`` index rows of the words per candidate entity, the words'
    rows are read again (``_hits_from_index`` among the entities); past it, the
    candidates' statements are fetched (``_rows_of_entities``). Same answer either way."""
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(3):
        store.write(viewers["A1"], person("A1", f"p{n}", EU, name="Alder Birch"))
    store.write(viewers["A1"], person("A1", "p9", EU, name="Alder Cedar"))
    answers = []
    for per_entity, fetched in [(10**9, False), (1, True)]:
        found, spy = searched_with_spy(store, viewers["A1"], "_rows_of_entities", per_entity)
        assert spy.called is fetched
        answers.append(found)
    assert answers == [["a1.p0", "a1.p1", "a1.p2"]] * 2


def test_past_max_hits_the_other_words_are_read_again_only_while_small(store: Store) -> None:
    """``_and`` (the intersection in the index off, or past ``MAX_HITS`` entities) reads each
    other word again among the first word's entities up to ``RESCAN_PER_ENTITY`` of its
    index rows per entity, and through ``_hits`` past it; same answer either way."""
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(3):
        store.write(viewers["A1"], person("A1", f"p{n}", EU, name="Alder Birch"))
    store.write(viewers["A1"], person("A1", "p9", EU, name="Birch Cedar"))
    answers = []
    for per_entity, through_hits in [(10**9, False), (0, True)]:
        found, spy = searched_with_spy(store, viewers["A1"], "_hits", per_entity, False)
        among = [c for c in spy.call_args_list if c.args[4] is not None]
        assert bool(among) is through_hits
        answers.append(found)
    assert answers == [["a1.p0", "a1.p1", "a1.p2"]] * 2


def test_sqlite_reads_the_candidates_words_again_from_the_covering_index(store: Store) -> None:
    """On SQLite a word read again among candidate entities (a prefix's ranges, a whole
    word's forms) comes from its range of ``ix_search_term_cover``, never from a probe per
    entity in ``ix_search_term_entity`` with a table fetch per row for the facts (ADR 0032,
    eighth amendment); the answer is the one the statements give."""
    if store.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics (seventh amendment)
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(3):
        store.write(viewers["A1"], person("A1", f"p{n}", EU, name="Alder Birch"))
    store.write(viewers["A1"], person("A1", "p9", EU, name="Alder Cedar"))
    reads: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if "json_each" in sql:
            reads.append((sql, params))

    sa.event.listen(store.engine, "before_cursor_execute", capture)
    try:
        found, _ = searched_with_spy(store, viewers["A1"], "_rows_of_entities", 10**9)
        text_found = {e.id for e in store.search(viewers["A1"], "alder bir")}
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", capture)
    assert found == ["a1.p0", "a1.p1", "a1.p2"] and text_found == set(found)
    assert len(reads) >= 4  # both words, of the whole word and of the prefix
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for sql, params in reads:
            plan = " ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
            assert "ix_search_term_cover" in plan and "ix_search_term_entity" not in plan, plan
