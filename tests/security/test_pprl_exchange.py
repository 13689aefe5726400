"""Encoded (PPRL) hit/no-hit between agencies: the notice, what is published, the limits.

A1 and B2 hold one person in common, written in different scripts (Ivan Petrov / Иван
Петров), among fifty unrelated persons each; C3 is a third agency. A1 publishes its
encodings, B2 screens them and records its side, A1 records its side from the references B2
returns. Each party gets one owner-only `DeconflictionHit`; C3 learns nothing; nothing in
the publication reads as a name, date, document number or id. Property: an agency's masked
values and the values others shared with it never contribute to its publication.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.coordination import deconfliction, hit_notices, pprl_exchange
from palermo.match import pprl
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import setup_agencies

KEY = pprl.FederationKey("eu-federation", b"f" * 32)
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
# Syllables of disjoint consonant classes, so A1's and B2's filler persons never match.
A_NAMES = ["".join(p).capitalize() for p in itertools.product("bdg", "aeiou", "bdg", "aeiou")]
B_NAMES = ["".join(p).capitalize() for p in itertools.product("mls", "aeiou", "mls", "aeiou")]


def person(agency: str, local: str, name: str, sharing: Sharing, **props: str) -> list[Statement]:
    eid = f"{agency.lower()}.{local}"
    out = [Statement(eid, "Person", BASE, eid, agency, local, sharing)]
    out.append(Statement(eid, "Person", "name", name, agency, local, sharing))
    out += [Statement(eid, "Person", p, v, agency, local, sharing) for p, v in props.items()]
    return out


def populate(store: Store, agency: str, names: list[str], shared: Sharing) -> list[Statement]:
    stmts: list[Statement] = []
    for i in range(50):
        given, family = names[(2 * i) % len(names)], names[(2 * i + 1) % len(names)]
        stmts += person(agency, f"p{i}", f"{given} {family}", shared, birthDate=f"{1960 + i}")
    return stmts


@pytest.fixture
def parties(store: Store) -> Store:
    viewers = setup_agencies(store, GROUPS)
    group = Sharing.parse("group:G")
    a = populate(store, "A1", A_NAMES, group)
    a += person(
        "A1", "ivan", "Ivan Petrov", group, birthDate="1980-02-03", passportNumber="WC8344932"
    )
    b = populate(store, "B2", B_NAMES, group)
    b += person("B2", "ivan", "Иван Петров", Sharing.owner_only(), birthDate="1980")
    store.write(viewers["A1"], a)
    store.write(viewers["B2"], b)
    store.write(viewers["C3"], person("C3", "x", "Anna Berg", Sharing.parse("all")))
    pprl_exchange._last.clear()
    return store


def test_a_fuzzy_hit_tells_both_owners_and_no_one_else(parties: Store) -> None:
    store = parties
    a1, b2, c3 = (store.viewer(f"analyst-{c}".lower()) for c in ("a1", "b2", "c3"))
    publication = pprl_exchange.publish(store, a1, KEY)
    assert len(publication.entries) == 51
    received = pprl_exchange.Publication.from_wire(json.loads(json.dumps(publication.to_wire())))
    hits_b, refs = pprl_exchange.screen(store, b2, KEY, received)
    assert [(h.other_agency, h.case_references) for h in hits_b] == [("A1", ("B2:b2.ivan",))]
    hits_a = pprl_exchange.acknowledge(store, a1, KEY, "B2", [*refs, "0" * 32])  # + unknown ref
    assert [(h.other_agency, h.case_references) for h in hits_a] == [("B2", ("A1:a1.ivan",))]
    for viewer, other in ((a1, "B2"), (b2, "A1")):
        listed = deconfliction.hits(store, viewer)
        assert [(h.selector_type, h.other_agency) for h in listed] == [("person (fuzzy)", other)]
    assert deconfliction.hits(store, c3) == []
    seen_by_c3 = store.entities(c3, schema="DeconflictionHit")
    seen_by_b2 = store.entities(b2, schema="DeconflictionHit")
    assert seen_by_c3 == [] and [e.id for e in seen_by_b2] == [hits_b[0].id]
    for viewer, record, searcher in ((a1, "a1.ivan", "B2"), (b2, "b2.ivan", "A1")):
        notices = hit_notices.received(store, viewer)
        assert [(n.record_id, n.searcher_agency, n.hits) for n in notices] == [
            (record, searcher, 1)
        ]
    assert hit_notices.received(store, c3) == []
    before = store.count_statements()
    pprl_exchange.acknowledge(store, a1, KEY, "B2", refs)  # told once: nothing new
    assert store.count_statements() == before
    assert [n.hits for n in hit_notices.received(store, a1)] == [1]


def test_nothing_readable_is_published(parties: Store) -> None:
    """The publication is the federation, the agency and pairs of hex strings, nothing
    else: no id, and no name or document number (they hold letters hex does not have).
    Dates are digits, which hex strings hold by chance; they are in no field of their own
    (the encoding carries birth years inside the name filters only)."""
    store = parties
    a1 = store.viewer("analyst-a1")
    data = pprl_exchange.publish(store, a1, KEY).to_wire()
    assert set(data) == {"federation", "agency", "entries"}
    entries = data["entries"]
    assert isinstance(entries, list)
    for ref, encoding in entries:
        assert re.fullmatch("[0-9a-f]{32}", ref)
        assert re.fullmatch(f"[0-9a-f]{{{2 * pprl.WIRE_BYTES}}}", encoding)
    wire = json.dumps(data).lower()
    for entity in store.export(a1, schema="Person"):
        assert entity.id not in wire and entity.id.split(".")[1] not in wire
        for prop in ("name", "passportNumber"):
            for value in entity.values(prop):
                pieces = [value.lower(), *value.lower().split()]
                readable = [p for p in pieces if len(p) >= 3 and re.search("[^0-9a-f]", p)]
                assert not any(p in wire for p in readable), (prop, value)


def test_limits_refuse_small_publications_and_frequent_screenings(parties: Store) -> None:
    store = parties
    a1, b2, c3 = (store.viewer(f"analyst-{c}".lower()) for c in ("a1", "b2", "c3"))
    with pytest.raises(ValueError, match="publication: 1 persons, at least 50 are needed"):
        pprl_exchange.publish(store, c3, KEY)
    publication = pprl_exchange.publish(store, a1, KEY)
    pprl_exchange.screen(store, b2, KEY, publication)
    with pytest.raises(pprl_exchange.RateLimited, match="rate: one screening of A1"):
        pprl_exchange.screen(store, b2, KEY, publication)
    small = pprl_exchange.Publication("eu-federation", "A1", publication.entries[:3])
    with pytest.raises(ValueError, match="entries: 3, at least 50"):
        pprl_exchange.screen(store, c3, KEY, small)
    foreign = pprl_exchange.Publication("other", "A1", publication.entries)
    with pytest.raises(ValueError, match="federation: 'other' is not 'eu-federation'"):
        pprl_exchange.screen(store, c3, KEY, foreign)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([], "publication: a JSON object"),
        ({"federation": "f", "agency": "A1", "entries": {}}, "entries: a list"),
        ({"federation": "f", "agency": "A1", "entries": [["r"]]}, r"entries\[0\]: a \[reference"),
        ({"federation": "f", "agency": "A1", "entries": [["r", "zz"]]}, "encoding: not hex"),
    ],
)
def test_a_malformed_publication_is_a_one_line_error(data: object, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        pprl_exchange.Publication.from_wire(data)


# --- property: masked and others' values never contribute --------------------------------

SCOPES = ("owner", "group:G", "A1", "all")
NAMES = ("Ivan Petrov", "Olga Berg", "Anna Haddad", "Chai Wattana")
rows = st.lists(
    st.tuples(
        st.sampled_from(("A1", "B2")),  # owner
        st.sampled_from(NAMES),
        st.sampled_from(SCOPES),
        st.booleans(),  # victim-sensitive
        st.sampled_from(("", "1980", "1975-05-06")),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=rows)
def test_masked_and_unshared_values_never_reach_a_publication(
    store: Store, world: list[tuple[str, str, str, bool, str]]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    expected: dict[str, pprl.Encoding] = {}
    for n, (owner, name, scope, sensitive, born) in enumerate(world):
        sharing = Sharing.parse(scope, ["victim-sensitive"] if sensitive else [])
        dated = {"birthDate": born} if born else {}
        store.write(viewers[owner], person(owner, f"p{n}", name, sharing, **dated))
        if owner == "A1" and not sensitive:
            ref = pprl_exchange.reference(KEY, "A1", f"a1.p{n}")
            expected[ref] = pprl.encode(KEY, [name], [born] if born else [])
    published = pprl_exchange.publish(store, viewers["A1"], KEY, min_size=0)
    assert {e.ref: e.encoding for e in published.entries} == expected
