"""Search shape of ADR 0032's amendment (issue 16): the whole text is read as an identifier
only when the index holds it (its count comes with the words' counts), and a further word
read among the candidates is matched on the candidates' terms first, the access rule then
applied to the statements that matched. Neither may change what a viewer finds: an
unshared, masked or retracted statement of a candidate never supplies a word. SQLite and
PostgreSQL (``store``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.store import search_index
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies

EU = Sharing.parse("group:EU")
OWNER = Sharing.parse("owner")
SENSITIVE = Sharing.parse("group:EU", ["victim-sensitive"])


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    """A1 writes; B2 shares group EU with it, C3 does not. a1.p1's name is shared with EU,
    its alias ``Cedar`` is not, its other alias ``Fircone`` is victim-sensitive (masked for
    an analyst), and its alias ``Dogwood`` is retracted; a1.p2 holds ``Alder Cedar`` shared."""
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    a1 = viewers["A1"]
    p1 = person("A1", "p1", EU, name="Alder Birch", passportNumber="YF9732979")
    p1 += person("A1", "p1", OWNER, alias="Cedar")[1:]
    p1 += person("A1", "p1", SENSITIVE, weakAlias="Fircone")[1:]
    dogwood = person("A1", "p1", EU, previousName="Dogwood")[1:]
    store.write(a1, p1 + dogwood)
    store.write(a1, [dogwood[0].retraction()])
    store.write(a1, person("A1", "p2", EU, name="Alder Cedar"))
    return viewers


@pytest.fixture(params=[0, 10**9], ids=["among-candidates", "from-term-rows"])
def drive(request: pytest.FixtureRequest) -> Iterator[int]:
    """Both ways of reading a further word (ADR 0032), forced; the words are not
    intersected in the index first (migration 0022: test_search_entity_terms.py)."""
    with (
        mock.patch.object(search_index, "DRIVE_FROM_ENTITIES", request.param),
        mock.patch.object(search_index, "INTERSECT_IN_INDEX", False),
    ):
        yield request.param


def ids(store: Store, viewer: Viewer, text: str) -> list[str]:
    return sorted(e.id for e in store.search(viewer, text, limit=100))


def test_a_further_word_comes_only_from_statements_the_viewer_reads_unmasked(
    store: Store, world: dict[str, Viewer], drive: int
) -> None:
    b2, a1 = world["B2"], world["A1"]
    assert ids(store, b2, "alder cedar") == ["a1.p2"]  # p1's Cedar is not shared with B2
    assert ids(store, a1, "alder cedar") == ["a1.p1", "a1.p2"]  # the owner reads it
    assert ids(store, b2, "alder fircone") == []  # masked for an analyst
    assert ids(store, b2, "alder dogwood") == []  # retracted
    assert ids(store, world["C3"], "alder birch") == []  # nothing shared with C3
    assert ids(store, b2, "birch alder") == ["a1.p1"]


def test_the_whole_text_is_read_only_when_the_index_holds_it(
    store: Store, world: dict[str, Viewer]
) -> None:
    """``Alder Birch`` is no identifier (``ALDERBIRCH`` is in no index row): its count of
    zero, taken with the words' counts, skips the query; ``YF 973 2979`` is one, and is
    found whole although its words alone match nothing."""
    read: list[search_index.Group] = []
    real = search_index._hits

    def spy(conn: Any, viewer: Any, group: search_index.Group, *args: Any, **kw: Any) -> Any:
        read.append(group)
        return real(conn, viewer, group, *args, **kw)

    b2 = world["B2"]
    with mock.patch.object(search_index, "_hits", spy):
        assert ids(store, b2, "Alder Birch") == ["a1.p1"]
        whole = search_index.parse("Alder Birch").whole
        assert whole is not None and whole not in read
        read.clear()
        assert ids(store, b2, "YF 973 2979") == ["a1.p1"]
        assert search_index.parse("YF 973 2979").whole in read
