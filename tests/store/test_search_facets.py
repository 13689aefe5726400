"""A search's facet values read through the partial index of country- and topic-typed
statements (migration 0027, ADR 0032 fifth amendment, issue 16): the same outcome as the
read of every statement of every match, and never a facet count from a value the viewer
may not read unmasked (unshared, masked, retracted: deny by default). SQLite and
PostgreSQL (``store``)."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any
from unittest import mock

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import search_index
from palermo.store.search_index import COUNTRY, TOPIC, Filters, Match, facet_props, parse
from palermo.store.store import Store
from palermo.store.tables import FACET_PROPS, FACET_VALUES
from tests.conftest import wipe
from tests.store.factories import SYSTEM, person, setup_agencies
from tests.store.test_visibility_property import AGENCIES, memberships, sharings

EVERYONE = Sharing.to_all()
OWNER = Sharing.parse("owner")
SENSITIVE = Sharing.parse("all", ["victim-sensitive"])
EU = Sharing.parse("group:EU")
WORDS = ["alder", "birch", "cedar"]
COUNTRIES = ["ru", "th", "ng"]
TOPICS = ["role.pep", "crime.traffick"]
FACET_OF = {"nationality": COUNTRY, "country": COUNTRY, "topics": TOPIC}  # the facet names


def test_the_indexed_properties_are_the_facet_properties() -> None:
    """The partial index covers exactly the country- and topic-typed properties of the
    model; a model with another one must come with a new migration (and this test then
    names its predicate)."""
    assert set(FACET_PROPS) == {*facet_props(COUNTRY), *facet_props(TOPIC)}
    migration = importlib.import_module(
        "palermo.store.migrations.versions.0027_statement_facet_index"
    )
    assert migration.WHERE == FACET_VALUES


def facet_statements(store: Store, viewer: Viewer, ids: list[str]) -> list[tuple[str, Any]]:
    """The SQL (and parameters) the facet values of matches ``ids`` ran."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((sql, params))

    matches = [Match(i, i, "Person", set(), set(), set()) for i in ids]
    with store.engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute", capture)
        search_index._attach_facet_values(conn, viewer, matches)
        sa.event.remove(conn, "before_cursor_execute", capture)
    return seen


def test_the_facet_values_are_read_through_the_partial_index(store: Store) -> None:
    """The query repeats the index predicate word for word, so the planner of either
    backend can read an entity's facet statements from it (with a bound property list
    SQLite cannot prove the predicate)."""
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(30):
        store.write(viewers["A1"], person("A1", f"p{n}", EU, name="Alder", nationality="ru"))
    store.analyze()
    seen = facet_statements(store, viewers["A1"], ["a1.p1", "a1.p2"])
    assert len(seen) == 1
    sql, params = seen[0]
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.close()
    finally:
        raw.close()
    assert "ix_statement_facet" in plan, plan


def search_facets(store: Store, viewer: Viewer, text: str) -> dict[str, dict[str, int]]:
    found = store.search(viewer, text, limit=100)
    return {facet: dict(values) for facet, values in found.facets.items()}


def test_a_facet_never_counts_a_value_the_viewer_may_not_read(store: Store) -> None:
    """One person every agency finds by name, whose countries and topics are shared
    differently: B2 counts only the values it may read unmasked and current, and the
    group sharing is decided live (joining the group counts the topic)."""
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ()})
    a1, b2 = viewers["A1"], viewers["B2"]
    support = store.add_user(SYSTEM, "support-b2", "B2", "victim-support").viewer()
    store.write(a1, person("A1", "p1", EVERYONE, name="Alder Birch", nationality="ng"))
    store.write(a1, person("A1", "p1", OWNER, nationality="ru"))
    store.write(a1, person("A1", "p1", SENSITIVE, nationality="th"))
    store.write(a1, person("A1", "p1", EU, topics="role.pep"))
    retracted = person("A1", "p1", EVERYONE, citizenship="ua")[1]
    store.write(a1, [retracted])
    store.write(a1, [retracted.retraction()])
    assert [e.id for e in store.search(b2, "birch")] == ["a1.p1"]
    assert search_facets(store, b2, "birch")["country"] == {"ng": 1}
    assert search_facets(store, b2, "birch")["topic"] == {}
    assert search_facets(store, support, "birch")["country"] == {"ng": 1, "th": 1}
    # Masked for every reader without the victim-support role, the owner's analysts too.
    assert search_facets(store, a1, "birch")["country"] == {"ng": 1, "ru": 1}
    assert search_facets(store, a1, "birch")["topic"] == {"role.pep": 1}
    # A filter on a value the viewer may not read finds nothing rather than the person.
    assert store.search(b2, "birch", country="ru").total == 0
    assert store.search(b2, "birch", country="ng").total == 1
    store.join_group(SYSTEM, "EU", "B2")
    assert search_facets(store, b2, "birch")["topic"] == {"role.pep": 1}


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Statement], list[int]]:
    """Persons of random agencies with names and countries and topics, every statement
    with its own sharing (handling codes included), and some retracted later."""
    out: list[Statement] = []
    for n in range(draw(st.integers(1, 8))):
        owner = draw(st.sampled_from(AGENCIES))
        eid = f"{owner.lower()}.p{draw(st.integers(0, 3))}"
        out.append(Statement(eid, "Person", BASE, eid, owner, f"s{n}", draw(sharings)))
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True))
        out.append(
            Statement(eid, "Person", "name", " ".join(words), owner, f"s{n}", draw(sharings))
        )
        facts = draw(
            st.lists(
                st.one_of(
                    st.tuples(
                        st.sampled_from(["nationality", "country"]), st.sampled_from(COUNTRIES)
                    ),
                    st.tuples(st.just("topics"), st.sampled_from(TOPICS)),
                ),
                max_size=3,
            )
        )
        for prop, value in facts:
            out.append(Statement(eid, "Person", prop, value, owner, f"s{n}", draw(sharings)))
    retract = draw(st.lists(st.integers(0, len(out) - 1), max_size=3, unique=True))
    return out, retract


def readable_facets(
    stmts: list[Statement],
    retracted: set[str],
    viewer: Viewer,
    groups: dict[str, tuple[str, ...]],
    entities: set[str],
) -> dict[str, Counter[str]]:
    """The model of the rule: per facet, how many of ``entities`` hold each value in a
    current statement the viewer's agency may read unmasked."""
    held: dict[str, set[tuple[str, str]]] = {}
    for s in stmts:
        facet = FACET_OF.get(s.prop)
        if facet is None or s.entity_id not in entities or s.key in retracted:
            continue
        if not s.sharing.reaches(s.agency, viewer.agency, groups[viewer.agency]):
            continue
        if s.sharing.victim_sensitive and not viewer.sees_victim_details:
            continue
        held.setdefault(s.entity_id, set()).add((facet, s.value))
    counts: dict[str, Counter[str]] = {COUNTRY: Counter(), TOPIC: Counter()}
    for values in held.values():
        for facet, value in values:
            counts[facet][value] += 1
    return counts


def written_world(
    store: Store, groups: dict[str, tuple[str, ...]], stmts: list[Statement], retract: list[int]
) -> tuple[list[Viewer], set[str]]:
    """The world written (then the retractions), with an analyst and a victim-support user
    per agency; returns the viewers and the retracted keys."""
    wipe(store)
    analysts = setup_agencies(store, groups)
    viewers = list(analysts.values())
    viewers += [
        store.add_user(SYSTEM, f"support-{a}".lower(), a, "victim-support").viewer()
        for a in AGENCIES
    ]
    for owner in AGENCIES:
        own = [s for s in stmts if s.agency == owner]
        if own:
            store.write(analysts[owner], own)
    retracted = set()
    for index in retract:
        victim = stmts[index]
        store.write(analysts[victim.agency], [victim.retraction()])
        retracted.add(victim.key)
    return viewers, retracted


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    world=worlds(),
    word=st.sampled_from(WORDS),
    country=st.sampled_from([None, *COUNTRIES]),
    topic=st.sampled_from([None, *TOPICS]),
    agency=st.sampled_from([None, *AGENCIES]),
    purpose=st.sampled_from([None, "analysis", "court"]),
)
def test_the_facets_are_those_of_every_statement_and_of_the_rule(
    store: Store,
    groups: dict[str, tuple[str, ...]],
    world: tuple[list[Statement], list[int]],
    word: str,
    country: str | None,
    topic: str | None,
    agency: str | None,
    purpose: str | None,
) -> None:
    """Random agencies, group memberships, sharing (handling codes: masked values, H0
    purposes), retractions, facet filters and declared purposes: the outcome (matches,
    ranks, facets, truncation) read through the partial index equals the read of every
    statement of every match, for analysts and victim-support users; and without filters
    or purpose, the country and topic counts are exactly what the model of the rule lets
    the viewer read (a value unshared, masked or retracted never counts)."""
    stmts, retract = world
    viewers, retracted = written_world(store, groups, stmts, retract)
    filters = Filters(agency=agency, country=country, topic=topic)
    with store.engine.connect() as conn:
        for viewer in viewers:
            new = search_index.run(conn, viewer, parse(word), filters, purpose)
            with mock.patch.object(search_index, "FACETS_BY_INDEX", False):
                old = search_index.run(conn, viewer, parse(word), filters, purpose)
            assert new == old, (viewer, word, filters, purpose)
            plain = search_index.run(conn, viewer, parse(word), Filters())
            model = readable_facets(
                stmts, retracted, viewer, groups, {m.entity_id for m in plain.matches}
            )
            for facet in (COUNTRY, TOPIC):
                assert dict(plain.facets[facet]) == dict(model[facet]), (viewer, facet)
