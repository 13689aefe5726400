"""A Latin name word is indexed whole beside its parts (migration 0023): the parts drop a
glued article (Elmira -> ``mira``), so a prefix typed in the search box (``elmi``) found
nothing until the last letter. SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from palermo.model.sharing import Sharing
from palermo.store.search_index import search_term, terms
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies

migration = importlib.import_module("palermo.store.migrations.versions.0023_whole_latin_name_words")
OWNER = Sharing.parse("owner")


def test_a_prefix_of_a_name_with_a_glued_article_finds_it(store: Store) -> None:
    a1 = setup_agencies(store, {"A1": ()})["A1"]
    store.write(a1, person("A1", "p1", OWNER, name="Alder Elmira"))
    store.write(a1, person("A1", "p2", OWNER, name="Hassan Alhassan"))
    assert ("mira", "n") in terms("Person", "name", "Elmira")  # the part stays
    for text, wanted in [("elmi", "a1.p1"), ("alder elm", "a1.p1"), ("alhas", "a1.p2")]:
        assert [e.id for e in store.search(a1, text)] == [wanted], text
    assert [e.id for e in store.search(a1, "mira")] == ["a1.p1"]  # the part still finds it


def test_the_migration_adds_the_whole_words_once(store: Store) -> None:
    a1 = setup_agencies(store, {"A1": ()})["A1"]
    store.write(a1, person("A1", "p1", OWNER, name="Elmira Alder", alias="Elmasri"))
    store.write(a1, person("A1", "p2", OWNER, name="Birch Cedar"))
    whole = search_term.c.term.in_(["elmira", "elmasri"])
    with store.engine.begin() as conn:  # as a node indexed before 0023
        before = conn.execute(sa.select(search_term).where(whole)).all()
        conn.execute(search_term.delete().where(whole))
    with store.engine.begin() as conn:
        assert migration.reindex_glued_articles(conn) == len(before) == 2
        after = conn.execute(sa.select(search_term).where(whole)).all()
        assert sorted(map(tuple, after)) == sorted(map(tuple, before))  # entity included
        assert migration.reindex_glued_articles(conn) == 0
    assert [e.id for e in store.search(a1, "elmas")] == ["a1.p1"]
