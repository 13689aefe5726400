"""A word's index rows read as disjoint index ranges (``Group.spans``, ``_word_rows``; ADR
0032 third amendment, issue 16): the parts match exactly the terms the word's condition
matches, each once, and a search reading a word's rows so finds exactly the entities the
viewer may read an unmasked, current value of for every word, and the same outcome as the
condition's ``OR`` (matches, ranks, facets, truncation). SQLite and PostgreSQL."""

from __future__ import annotations

from itertools import pairwise
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.model.statement import Statement
from palermo.store import search_index
from palermo.store.search_index import Filters, Group, parse
from palermo.store.store import Store
from tests.store.test_search_scale_property import WORDS, expected, worlds
from tests.store.test_visibility_property import AGENCIES, build_world, memberships

letters = st.text(alphabet="abc", min_size=1, max_size=4)


@given(
    forms=st.lists(letters, min_size=1, max_size=4, unique=True),
    prefixes=st.lists(letters, max_size=4, unique=True),
    terms=st.lists(st.text(alphabet="abcd", min_size=1, max_size=5), max_size=30),
)
def test_spans_match_what_the_condition_matches_each_term_once(
    forms: list[str], prefixes: list[str], terms: list[str]
) -> None:
    group = Group(tuple(sorted(forms)), tuple(sorted(prefixes)))
    points, ranges = group.spans()
    for term in terms:
        parts = [term in points] + [a <= term < b for a, b in ranges]
        assert sum(parts) == (1 if group.holds(term) else 0), (group, term)
    for (_, end), (start, _) in pairwise(ranges):
        assert end <= start  # sorted and disjoint


def test_nested_prefixes_and_forms_inside_them_are_one_range() -> None:
    group = Group(("ien", "CHEN", "ienko"), ("ien", "iena", "CHEN"))
    assert group.spans() == ((), (("CHEN", "CHEO"), ("ien", "ieo")))
    assert Group(("ivan", "iwan"), ("iva",)).spans() == (("iwan",), (("iva", "ivb"),))


def outcomes(
    store: Store, viewer: object, text: str, filters: Filters
) -> tuple[search_index.Outcome, search_index.Outcome]:
    """The outcome with a word's rows read as ranges, and with the condition's OR."""
    with store.engine.connect() as conn:
        new = search_index.run(conn, viewer, parse(text), filters)
        with mock.patch.object(search_index, "WORD_ROWS_AS_RANGES", False):
            old = search_index.run(conn, viewer, parse(text), filters)
    return new, old


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    world=worlds(),
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True),
    prefix=st.booleans(),
    agency_filter=st.sampled_from([None, *AGENCIES]),
)
def test_words_read_as_ranges_match_only_what_the_viewer_may_read_and_as_before(
    store: Store,
    groups: dict[str, tuple[str, ...]],
    world: tuple[list[Statement], list[int]],
    query: list[str],
    prefix: bool,
    agency_filter: str | None,
) -> None:
    """One word (read by ``_hits`` alone) or two with the intersection off (the rarest
    word read by ``_hits``), the last typed whole or as a prefix."""
    stmts, retract = world
    viewers, retracted = build_world(store, groups, stmts, retract)
    text = " ".join([*query[:-1], query[-1][:4] if prefix else query[-1]])
    with mock.patch.object(search_index, "INTERSECT_IN_INDEX", False):
        for agency in AGENCIES:
            new, old = outcomes(store, viewers[agency], text, Filters(agency=agency_filter))
            own = [s for s in stmts if agency_filter in (None, s.agency)]
            want = expected(own, retracted, agency, groups, query)
            assert {m.entity_id for m in new.matches} == want, (agency, text)
            assert new == old, (agency, text)
