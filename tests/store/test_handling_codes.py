"""Europol handling codes and grades: the text forms, the merge rule, the H1 court export.

The merge and parsing tests are pure; the court export and the consent run on SQLite and
PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.model.grading import Grade, parse_grade, weakest
from palermo.model.handling_merge import Marking, merge
from palermo.model.sharing import Handling, Sharing, SharingError, parse_sharing
from palermo.store.handling_consent import ConsentError, consents_of, record_consent
from palermo.store.marked_export import ExportLine, Refused, marked_lines
from palermo.store.store import Store
from tests.store.factories import person, setup_agencies


def test_text_forms_and_policy_ids_stay_as_before_without_a_grade() -> None:
    # ids of policies stored before grades existed must not change
    assert Sharing.parse("group:EU|victim-sensitive").canonical == "group:EU|victim-sensitive"
    assert Sharing.parse("all").policy_id == Sharing.to_all().policy_id
    graded = parse_sharing("NL-KMAR|h1,No-Onward|b2")
    assert graded.canonical == "NL-KMAR|H1,no-onward|B2"
    assert Sharing.from_canonical(graded.canonical) == graded
    assert graded.no_onward and parse_sharing("all|H2").no_onward
    mapped = parse_sharing({"scope": "all", "handling": "H1,H3", "grade": "x4"})
    assert mapped.handling == {Handling.H1, Handling.H3} and mapped.grade == Grade("X", 4)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("all|H9", "unknown handling code 'H9'"),
        ("all|H1|Z1", "grade: source 'Z'"),
        ("all|H1|B5", "grade: information 5"),
        ("all|H1|B22", "grade: 'B22' is not"),
        ("all|H1|B2|x", "more than two '|'"),
        ({"scope": "all", "grade": 2}, "grade: must be text"),
        ({"scope": "all|H1|A1", "grade": "B2"}, "grade: 'A1' in the text and 'B2' given"),
    ],
)
def test_bad_codes_and_grades_are_named(value: object, message: str) -> None:
    with pytest.raises(SharingError, match=message.replace("|", r"\|")):
        parse_sharing(value)


def test_grade_weights_keep_the_order() -> None:
    assert parse_grade("A1") is not None and parse_grade(" ") is None
    assert Grade("A", 1).weight == 1.0 and Grade("X", 4).weight == 0.25
    assert Grade("B", 2).weight > Grade("C", 2).weight > Grade("C", 3).weight
    assert weakest([Grade("A", 3), Grade("C", 1)]) == Grade("C", 3)
    assert weakest([Grade("A", 1), None]) is None and weakest([]) is None


grades = st.one_of(st.none(), st.builds(Grade, st.sampled_from("ABCX"), st.integers(1, 4)))
marks = st.builds(
    lambda c, g: Marking(frozenset(c), g), st.sets(st.sampled_from(list(Handling))), grades
)


@given(st.lists(marks, max_size=6))
def test_merge_is_never_looser_than_an_input(inputs: list[Marking]) -> None:
    merged = merge(inputs)
    assert all(merged.no_looser_than(m) for m in inputs)
    assert merged.handling == frozenset().union(*(m.handling for m in inputs))
    assert Marking.parse(merged.text) == merged
    assert merge([merged, *inputs]) == merged  # idempotent


def _court_world(store: Store) -> tuple[dict[str, Viewer], list[str]]:
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",)})
    h1 = Sharing.parse("all|H1|B2")
    stmts = person("DE-BKA", "p1", h1, name="Ivan Petrov")
    store.write(viewers["DE-BKA"], stmts)
    store.write(viewers["DE-BKA"], person("DE-BKA", "p2", Sharing.parse("all|H2"), name="Ana"))
    store.write(viewers["NL-KMAR"], person("NL-KMAR", "q1", h1, name="Own H1"))
    return viewers, [s.id for s in stmts]


def test_court_export_refuses_h1_lines_without_consent(store: Store) -> None:
    viewers, ids = _court_world(store)
    nl = viewers["NL-KMAR"]
    lines = list(marked_lines(store, nl, purpose="court"))
    refused = [ln for ln in lines if isinstance(ln, Refused)]
    assert [(r.entity_id, r.providers) for r in refused] == [("de-bka.p1", ("DE-BKA",))]
    kept = {ln.entity.id: ln.marking.text for ln in lines if isinstance(ln, ExportLine)}
    assert kept == {"de-bka.p2": "H2|", "nl-kmar.q1": "H1|B2"}  # own H1 needs no consent
    # without a purpose nothing is refused, and every line carries its marking
    plain = {ln.entity.id: ln.marking.text for ln in marked_lines(store, nl)}  # type: ignore[union-attr]
    assert plain["de-bka.p1"] == "H1|B2"
    # consent for one statement covers that statement only; the entity's id covers all
    record_consent(store, nl, "DE-BKA", ids[1], "court", "SIENA 2026/1")
    assert any(isinstance(ln, Refused) for ln in marked_lines(store, nl, purpose="court"))
    record_consent(store, nl, "DE-BKA", "de-bka.p1", "court", "SIENA 2026/2")
    assert not any(isinstance(ln, Refused) for ln in marked_lines(store, nl, purpose="court"))
    again = record_consent(store, nl, "DE-BKA", "de-bka.p1", "court", "other")
    assert again.reference == "SIENA 2026/2"  # idempotent
    assert [c.target for c in consents_of(store, nl)] == [ids[1], "de-bka.p1"]
    assert consents_of(store, viewers["DE-BKA"]) == []  # granted to NL-KMAR only


@pytest.mark.parametrize(
    ("provider", "target", "use", "reference", "field"),
    [
        ("DE-BKA", "de-bka.p1", "press", "ref", "use:"),
        ("NL-KMAR", "de-bka.p1", "court", "ref", "provider:"),
        ("DE-BKA", "de-bka.nope", "court", "ref", "target:"),
        ("XX", "de-bka.p1", "court", "ref", "target:"),
        ("DE-BKA", "de-bka.p1", "court", " ", "reference:"),
    ],
)
def test_bad_consents_name_the_field(
    store: Store, provider: str, target: str, use: str, reference: str, field: str
) -> None:
    viewers, _ = _court_world(store)
    with pytest.raises(ConsentError, match=f"^{field}"):
        record_consent(store, viewers["NL-KMAR"], provider, target, use, reference)
    assert consents_of(store, viewers["NL-KMAR"]) == []


def test_a_cross_reference_hit_carries_both_records_handling(store: Store) -> None:
    from palermo.match.resolution import cross_reference

    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",)})
    props = {"name": "Ivan Petrov", "passportNumber": "P1234567", "birthDate": "1980-01-02"}
    store.write(viewers["DE-BKA"], person("DE-BKA", "p1", Sharing.parse("all|H1|B2"), **props))
    store.write(viewers["NL-KMAR"], person("NL-KMAR", "q1", Sharing.parse("all|H2|A1"), **props))
    _, hits = cross_reference(store, viewers["DE-BKA"], notify=False)
    assert [(h.left, h.right, h.handling) for h in hits] == [
        ("de-bka.p1", "nl-kmar.q1", "H1,H2|B2")
    ]
