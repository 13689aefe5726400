"""Search through the index (issue 16): identifiers in any spacing or format, names across
scripts, AND of words with the last one as a prefix, ranking, retraction, facets, paging,
and the index kept by every write path. Runs on SQLite and PostgreSQL (``store``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement, make_entity_id
from palermo.store.search_index import parse, search_term, terms
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies

EU = Sharing.parse("group:EU")


def entity(agency: str, local: str, schema: str, **props: str) -> list[Statement]:
    eid = make_entity_id(agency, local)
    stmts = [Statement(eid, schema, BASE, eid, agency, local, EU)]
    return stmts + [Statement(eid, schema, p, v, agency, local, EU) for p, v in props.items()]


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    """A1 writes, B2 (same group) searches."""
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    a1 = viewers["A1"]
    store.write(
        a1,
        person(
            "A1",
            "p1",
            EU,
            name="Иван Петров",
            passportNumber="YF9732979",
            phone="+4915112345678",
            email="Ivan.Petrov@Example.org",
            nationality="ru",
        ),
    )
    store.write(a1, person("A1", "p2", EU, name="Ivan Sidorov", nationality="ua"))
    store.write(a1, entity("A1", "v1", "Vehicle", registrationNumber="B-AB 1234"))
    store.write(a1, entity("A1", "b1", "BankAccount", iban="DE89 3704 0044 0532 0130 00"))
    store.write(a1, entity("A1", "c1", "InvestigationCase", caseNumber="BKA-2024/017"))
    return viewers


def ids(store: Store, viewer: Viewer, text: str, **kwargs: object) -> list[str]:
    return [e.id for e in store.search(viewer, text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YF9732979", "a1.p1"),
        ("YF 973 2979", "a1.p1"),
        ("yf-973-2979", "a1.p1"),
        ("YF973", "a1.p1"),  # the number half typed
        ("+49 151 1234-5678", "a1.p1"),
        ("0151 1234 5678", "a1.p1"),  # national format
        ("0049 15112345678", "a1.p1"),
        ("IVAN.PETROV@example.org", "a1.p1"),
        ("bab1234", "a1.v1"),
        ("B AB-1234", "a1.v1"),
        ("DE89370400440532013000", "a1.b1"),
        ("de89 3704 0044 0532 0130 00", "a1.b1"),
        ("BKA 2024 017", "a1.c1"),
    ],
)
def test_identifiers_are_found_in_any_spacing_or_format(
    store: Store, world: dict[str, Viewer], text: str, expected: str
) -> None:
    assert ids(store, world["B2"], text) == [expected]


def test_names_across_scripts_with_and_and_prefix(store: Store, world: dict[str, Viewer]) -> None:
    b2 = world["B2"]
    assert ids(store, b2, "ivan petrov") == ["a1.p1"]  # Cyrillic stored, Latin typed
    assert ids(store, b2, "Петров") == ["a1.p1"]
    assert ids(store, b2, "petr") == ["a1.p1"]  # last word as a prefix
    assert sorted(ids(store, b2, "ivan")) == ["a1.p1", "a1.p2"]
    assert ids(store, b2, "sidorov ivan") == ["a1.p2"]  # every word must match
    assert ids(store, b2, "petr ivanovich") == []  # only the last word is a prefix
    assert ids(store, b2, "van der sidorov") == ["a1.p2"]  # particles alone are dropped


def test_the_viewer_finds_only_what_is_shared_with_it(
    store: Store, world: dict[str, Viewer]
) -> None:
    assert ids(store, world["C3"], "YF9732979") == []
    assert ids(store, world["C3"], "petrov") == []


def test_exact_identifier_ranks_first(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    a1 = viewers["A1"]
    store.write(a1, person("A1", "p1", EU, passportNumber="AB1234567"))
    store.write(a1, person("A1", "p2", EU, passportNumber="AB12345"))  # the exact one
    store.write(a1, person("A1", "p0", EU, passportNumber="AB123456"))
    found = ids(store, a1, "AB 12345")
    assert found[0] == "a1.p2"
    assert sorted(found) == ["a1.p0", "a1.p1", "a1.p2"]


def test_retracted_and_corrected_values_stop_matching(
    store: Store, world: dict[str, Viewer]
) -> None:
    a1, b2 = world["A1"], world["B2"]
    assert store.retract(a1, "a1.p1", "passportNumber") == 1
    assert ids(store, b2, "YF9732979") == []
    store.retract(a1, "a1.p2", "name")
    store.write(a1, person("A1", "p2", EU, name="Ivan Sidorenko"))
    assert ids(store, b2, "sidorov") == []
    assert ids(store, b2, "sidorenko") == ["a1.p2"]


def test_facets_count_every_visible_match_and_filter(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    for n in range(7):
        owner = "A1" if n < 4 else "B2"
        country = "ru" if n % 2 else "ua"
        store.write(
            viewers[owner], person(owner, f"p{n}", EU, name=f"Olga Berg{n}", country=country)
        )
    store.write(viewers["A1"], entity("A1", "c1", "Company", name="Berg Holding", country="de"))
    found = store.search(viewers["B2"], "berg", limit=3)
    assert found.total == 8 and len(found) == 3
    assert dict(found.facets["schema"]) == {"Person": 7, "Company": 1}
    assert dict(found.facets["agency"]) == {"A1": 5, "B2": 3}
    assert dict(found.facets["country"]) == {"ua": 4, "ru": 3, "de": 1}
    people = store.search(viewers["B2"], "berg", schema="Person", country="ru", limit=50)
    assert people.total == 3
    assert {e.id for e in people} == {"a1.p1", "a1.p3", "b2.p5"}
    assert store.search(viewers["B2"], "berg", agency="B2").total == 3


def test_pages_are_disjoint_and_cover_every_match(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    for n in range(12):
        store.write(viewers["A1"], person("A1", f"p{n:02d}", EU, name=f"Mira Kovac{n}"))
    pages = [store.search(viewers["A1"], "kovac", limit=5, offset=o) for o in (0, 5, 10)]
    assert [len(p) for p in pages] == [5, 5, 2]
    seen = [e.id for page in pages for e in page]
    assert len(set(seen)) == 12 and all(p.total == 12 for p in pages)


def test_received_statements_are_indexed(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    with store.transaction() as conn:
        store.receive(conn, person("A1", "r1", EU, passportNumber="ZZ 1234567"), "node-a1")
    assert ids(store, viewers["B2"], "zz1234567") == ["a1.r1"]


def test_migration_backfills_statements_stored_before_the_index(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    store.write(viewers["A1"], person("A1", "p1", EU, name="Nadia Haddad"))
    with store.engine.begin() as conn:
        conn.execute(search_term.delete())
    assert ids(store, viewers["A1"], "haddad") == []
    from palermo.store.search_index import backfill

    with store.engine.begin() as conn:
        assert backfill(conn) > 0
        rows = conn.execute(sa.select(search_term.c.term)).scalars().all()
    assert "hadad" in rows  # folded
    assert ids(store, viewers["A1"], "haddad") == ["a1.p1"]


def test_a_failed_write_leaves_no_terms(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    foreign = Statement("b2.x", "Person", "name", "Ghost Name", "A1", "x", EU)
    with pytest.raises(Exception, match="entity_id"):
        store.write(viewers["A1"], [foreign])
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(search_term)).scalar() == 0


def test_bad_input_names_the_field(store: Store, world: dict[str, Viewer]) -> None:
    b2 = world["B2"]
    for kwargs, field in (
        ({"text": "a\x00"}, "q:"),
        ({"text": "x" * 501}, "q:"),
        ({"text": "ivan", "limit": 0}, "limit:"),
        ({"text": "ivan", "offset": -1}, "offset:"),
        ({"text": "ivan", "schema": "Nope"}, "schema:"),
    ):
        with pytest.raises(ValueError, match=field):
            store.search(b2, **kwargs)  # type: ignore[arg-type]
    assert store.search(b2, "  ,; ").total == 0  # nothing to look for


def test_every_search_is_audited(store: Store, world: dict[str, Viewer]) -> None:
    before = len(store.audit_entries())
    store.search(world["B2"], "nobody-at-all")
    store.search(world["B2"], "petrov")
    searches = [e for e in store.audit_entries()[before:] if e.action == "search"]
    assert [e.target for e in searches] == ["nobody-at-all", "petrov"]


def test_terms_normalise_each_kind() -> None:
    assert terms("Person", "passportNumber", "yf 973-2979") == {("YF9732979", "i")}
    assert terms("Person", "phone", "+66 81 234 5678") == {("66812345678", "p"), ("812345678", "p")}
    assert ("petrov", "n") in terms("Person", "name", "Петров")
    assert terms("Person", "birthDate", "1980-01-01") == set()
    assert parse("  ").empty
