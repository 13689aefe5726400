"""Names with ı ø ł đ ß æ œ þ ð (issue 14, ADR 0053 amendments): their letters are spelled
out everywhere (search terms, screening, name comparison), and migration 0021 re-makes
the terms stored while they were dropped, touching nothing else. Runs on SQLite and
PostgreSQL (``store``). The names are made up or public figures', not the dev data."""

from __future__ import annotations

import importlib
from typing import Any

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.match import pprl
from palermo.match.names import fold, latinize, name_similarity, undecomposed_letters
from palermo.match.person import PersonRecord
from palermo.match.screening import build_index
from palermo.model.sharing import Sharing
from palermo.store import migrate
from palermo.store.search_index import search_term, terms
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.store.factories import person, setup_agencies

EU = Sharing.parse("group:EU")
MIGRATION = importlib.import_module(
    "palermo.store.migrations.versions.0021_undecomposed_letter_terms"
)
# What the old `_latin_text` stored for each word: the letter dropped, the word split there.
OLD_TERMS = {
    "Łukasz Nowak": ("ukasz", "nowak"),
    "Søren Kierkegaard": ("s", "ren", "kierkegaard"),
    "Johann Strauß": ("johann", "strau"),
}


def test_the_letters_are_spelled_as_icu_latin_ascii_spells_them() -> None:
    assert latinize("Łukasz Adıvar") == "lukasz adivar"
    assert latinize("SØREN STRAUß") == "soren strauss"
    assert latinize("Þóra Aðalsteinsdóttir") == "thora adalsteinsdottir"
    assert latinize("Đorđe Œuvray Ærø") == "dorde oeuvray aero"
    assert latinize("Ђорђе") == "dorde"  # Serbian Cyrillic: ICU writes đ
    assert name_similarity("Johann Strauß", "Johann Strauss") == 1.0
    assert name_similarity("Lukasz Nowak", "Łukasz Nowak") == 1.0
    assert name_similarity("Halide Edib Adıvar", "Halide Edib Adivar") == 1.0


def test_the_letters_a_name_is_reindexed_for() -> None:
    letters = undecomposed_letters()
    for char in "ıøØłŁđĐßẞæÆœŒþÞðǿЂђ":
        assert char in letters, char
    for char in "aąéüñçšžИ我ก":  # decomposed, plain or other scripts: terms unchanged
        assert char not in letters, char


def test_screening_lukasz_finds_the_name_written_with_l_stroke() -> None:
    index = build_index(
        [
            {"id": "p1", "schema": "Person", "properties": {"name": ["Łukasz Nowak"]}},
            {"id": "p2", "schema": "Person", "properties": {"name": ["Søren Kierkegaard"]}},
            {"id": "p3", "schema": "Person", "properties": {"name": ["Tomasz Nowak"]}},
        ]
    )
    found = index.screen(PersonRecord("q", ("Lukasz Nowak",)))
    assert [c.person.id for c in found][:1] == ["p1"]
    assert [f.score for f in found[0].score.features if f.name == "name"] == [1.0]
    assert [c.person.id for c in index.screen(PersonRecord("q", ("Soren Kierkegaard",)))] == ["p2"]


def test_pprl_encodes_the_letters_spelled_out() -> None:
    key = pprl.FederationKey("eu-federation", b"s" * 32)

    def encoding(name: str) -> pprl.Encoding:
        return pprl.encode(key, (name,), ("1981-04-02",))

    same = (("Łukasz Nowak", "Lukasz Nowak"), ("Søren Kierkegaard", "Soren Kierkegaard"))
    for a, b in same:  # deterministic encodings: the same letters give the same filters
        assert encoding(a) == encoding(b), (a, b)
    assert pprl.similarity(encoding("Johann Strauß"), encoding("Johann Strauss")) >= pprl.THRESHOLD


def ids(store: Store, viewer: Viewer, text: str) -> list[str]:
    return [e.id for e in store.search(viewer, text)]


def test_search_finds_soren_and_lukasz_by_either_spelling(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Søren Kierkegaard"))
    store.write(viewers["A1"], person("A1", "p2", EU, name="Łukasz Nowak"))
    b2 = viewers["B2"]
    for text in ("soren", "Søren", "SØREN kierkegaard", "sor"):
        assert ids(store, b2, text) == ["a1.p1"], text
    for text in ("Lukasz", "Łukasz", "łukasz nowak"):
        assert ids(store, b2, text) == ["a1.p2"], text
    assert ids(store, b2, "ukasz") == []  # the old fragment is no term any more


def term_rows(store: Store) -> dict[int, set[tuple[str, str]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(search_term.c.seq, search_term.c.term, search_term.c.kind))
        out: dict[int, set[tuple[str, str]]] = {}
        for seq, term, kind in rows:
            out.setdefault(seq, set()).add((term, kind))
    return out


def name_seqs(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(statement.c.value, statement.c.seq).where(statement.c.prop == "name")
        )
        return {value: seq for value, seq in rows}


def old_index(store: Store) -> dict[str, int]:
    """The database as the old code left it: the names' terms with the letters dropped,
    and the revision before 0021."""
    seqs = name_seqs(store)
    with store.engine.begin() as conn:
        for value, words in OLD_TERMS.items():
            conn.execute(search_term.delete().where(search_term.c.seq == seqs[value]))
            conn.execute(
                sa.insert(search_term),
                [{"term": fold(w), "seq": seqs[value], "kind": "n"} for w in words],
            )
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": _previous()})
    return seqs


def _previous() -> str:
    down: Any = MIGRATION.down_revision
    return str(down)


def test_migration_0021_remakes_exactly_the_terms_of_names_with_the_letters(
    store: Store,
) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    a1, b2 = viewers["A1"], viewers["B2"]
    store.write(a1, person("A1", "p1", EU, name="Łukasz Nowak", passportNumber="PL 1234567"))
    store.write(a1, person("A1", "p2", EU, name="Søren Kierkegaard"))
    store.write(a1, person("A1", "p3", EU, name="Johann Strauß"))
    store.write(a1, person("A1", "p4", EU, name="Иван Петров", phone="+4915112345678"))
    store.write(a1, person("A1", "p5", EU, name="Zoë Ångström-Müller"))
    seqs = old_index(store)
    assert ids(store, b2, "Łukasz") == [] and ids(store, b2, "Lukasz") == []
    before = term_rows(store)
    changed = {seqs[value] for value in OLD_TERMS}

    migrate.upgrade(store.engine)

    after = term_rows(store)
    assert ids(store, b2, "Łukasz") == ["a1.p1"]
    assert ids(store, b2, "Lukasz") == ["a1.p1"]
    assert ids(store, b2, "Lukasz Nowak") == ["a1.p1"]
    assert ids(store, b2, "soren") == ["a1.p2"]
    assert ids(store, b2, "Strauss") == ["a1.p3"]
    for value in OLD_TERMS:  # exactly what a write makes now, no fragment left
        assert after[seqs[value]] == terms("Person", "name", value), value
    assert {s: t for s, t in before.items() if s not in changed} == {
        s: t for s, t in after.items() if s not in changed
    }  # every other statement's terms (passport, phone, Cyrillic, Ångström) as they were

    with store.engine.begin() as conn:  # again: nothing to do
        assert MIGRATION.reindex_undecomposed(conn) == 0
    assert term_rows(store) == after


def test_migration_0021_finds_nothing_when_no_name_has_the_letters(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Zoë Ångström-Müller"))
    before = term_rows(store)
    with store.engine.begin() as conn:
        assert MIGRATION.reindex_undecomposed(conn) == 0
    assert term_rows(store) == before
