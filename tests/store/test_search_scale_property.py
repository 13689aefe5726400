"""Property test for the search query's shape at scale (issue 16): words counted together,
the other words read among the rarest word's entities in one statement (an array
parameter on PostgreSQL, chunks on SQLite), facet values fetched the same way, and the
partial index of retractions behind ``is_current``; a common word read through the
candidate entities' own statements and their terms by seq, or through all its index rows
(both ways are forced, ADR 0032). Whatever the shape, an agency finds
exactly the entities it may read an unmasked, current value of for every word: never an
unshared, masked or retracted one, and never fewer. SQLite and PostgreSQL."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.model.statement import BASE, Statement
from palermo.store import search_index
from palermo.store.store import Store
from tests.store.test_visibility_property import AGENCIES, build_world, memberships, sharings

# Words that fold to themselves and none of which is a prefix of another, so a query
# word matches exactly the values holding it (the last word also matches as a prefix).
WORDS = ["alder", "birch", "cedar", "dogwood", "elmira", "fircone"]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Statement], list[int]]:
    """Persons of random agencies with one or two names of two words, each name with its
    own sharing (handling codes included: victim-sensitive values are masked), and some
    statements retracted later (their indices)."""
    out: list[Statement] = []
    for n in range(draw(st.integers(1, 12))):
        owner = draw(st.sampled_from(AGENCIES))
        eid = f"{owner.lower()}.p{draw(st.integers(0, 3))}"
        out.append(Statement(eid, "Person", BASE, eid, owner, f"s{n}", draw(sharings)))
        for _ in range(draw(st.integers(1, 2))):
            words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=2, unique=True))
            out.append(
                Statement(eid, "Person", "name", " ".join(words), owner, f"s{n}", draw(sharings))
            )
    retract = draw(st.lists(st.integers(0, len(out) - 1), max_size=3, unique=True))
    return out, retract


def expected(
    stmts: list[Statement],
    retracted: set[str],
    agency: str,
    groups: dict[str, tuple[str, ...]],
    query: list[str],
) -> set[str]:
    """Entities with, for every query word, a readable, unmasked, current name holding it."""
    words_of: dict[str, set[str]] = {}
    for s in stmts:
        readable = s.sharing.reaches(s.agency, agency, groups[agency])
        if s.prop != "name" or not readable or s.sharing.victim_sensitive:
            continue
        if s.key in retracted:
            continue
        words_of.setdefault(s.entity_id, set()).update(s.value.split())
    return {e for e, words in words_of.items() if all(w in words for w in query)}


@pytest.mark.parametrize("drive", [0, 10**9], ids=["via-entities", "via-term-rows"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    world=worlds(),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
)
def test_every_word_matches_only_what_the_viewer_may_read(
    store: Store,
    drive: int,
    groups: dict[str, tuple[str, ...]],
    world: tuple[list[Statement], list[int]],
    query: list[str],
) -> None:
    stmts, retract = world
    viewers, retracted = build_world(store, groups, stmts, retract)
    for agency in AGENCIES:
        want = expected(stmts, retracted, agency, groups, query)
        # ``_and`` alone (the intersection of migration 0022 is checked against it and the
        # same rule in test_search_entity_terms.py).
        with (
            mock.patch.object(search_index, "DRIVE_FROM_ENTITIES", drive),
            mock.patch.object(search_index, "INTERSECT_IN_INDEX", False),
        ):
            found = store.search(viewers[agency], " ".join(query), limit=100)
        assert {e.id for e in found} == want, (agency, query)
        assert found.total == len(want)
        assert sum(count for _, count in found.facets["schema"]) == len(want)
