"""The evidence model of person scoring (ADR 0010), one rule at a time, on constructed records.

Each test compares the same pair with and without one piece of evidence, so it checks what
that evidence does to the score, whatever the name similarity of the pair happens to be.
"""

from __future__ import annotations

import pytest

from palermo.match import person as p
from palermo.match.manifest import passenger
from palermo.match.person import PersonRecord, Score, score_person
from palermo.match.screening import SCREENING_THRESHOLD, build_index

NAME = "Ivan Petrov"


def rec(name: str = NAME, rid: str = "c", **kw: object) -> PersonRecord:
    return PersonRecord(rid, (name,), **kw)  # type: ignore[arg-type]


def dated(birth: str, name: str = NAME, rid: str = "c") -> PersonRecord:
    return rec(name, rid, birth_dates=(birth,))


def feature(score: Score, name: str) -> p.Feature:
    return next(f for f in score.features if f.name == name)


def test_an_exact_name_alone_reaches_the_name_ceiling_and_a_missing_date_is_neutral() -> None:
    alone = score_person(rec(), rec())
    assert alone.value == p.NAME_CEILING
    # a date on one side only neither helps nor hurts, and is not listed as evidence
    assert score_person(dated("1980-05-12"), rec()).value == alone.value
    assert score_person(rec(), dated("1980-05-12")).value == alone.value
    assert [f.name for f in score_person(dated("1980-05-12"), rec()).features] == ["name"]


@pytest.mark.parametrize(
    ("query", "cand", "effect", "words"),
    [
        ("1980-05-12", "1980-05-12", p.EXACT_DATE, "the same full date"),
        ("1980-05-12", "1980-12-05", p.SWAPPED_DATE, "day and month swapped"),
        ("1980-05-12", "1981-05-12", p.DATE_TYPO, "year off by one"),
        ("1960-11-11", "1969-11-11", p.DATE_TYPO, "one digit different"),
        ("1980-05-12", "1980", p.SAME_YEAR, "same year, partial date"),
        ("1980-05-12", "1980-01-01", p.SAME_YEAR, "same year, partial date"),
        ("1980-01-01", "1980-01-01", p.SAME_YEAR, "same year, partial date"),
        ("1980-05-12", "1980-05-20", p.SAME_YEAR_MONTH, "same year and month"),
        ("1980", "1981", p.NEAR_YEAR, "years one apart"),
        ("1983", "1973", p.DIGIT_YEAR, "years one digit apart"),
        ("1980-05-12", "1950-02-03", p.DATE_CONTRADICTS, "different"),
        ("1980", "1955", p.DATE_CONTRADICTS, "different years"),
    ],
)
def test_birth_date_levels_move_the_score_by_their_documented_amount(
    query: str, cand: str, effect: float, words: str
) -> None:
    base = score_person(rec(), rec()).value
    scored = score_person(dated(query), dated(cand))
    found = feature(scored, "birth_date")
    assert words in found.explanation and f"{query} ~ {cand}" in found.explanation
    assert found.weight == effect
    assert scored.value == pytest.approx(min(1.0, base + effect))


def test_placeholders_and_slips_are_weak_evidence_an_exact_full_date_strong() -> None:
    """exact > swapped > same year (placeholder) > a slip > nothing > a contradiction."""
    q = dated("1980-05-12")
    order = [
        score_person(q, dated("1980-05-12")).value,
        score_person(q, dated("1980-12-05")).value,
        score_person(q, dated("1980-01-01")).value,
        score_person(q, dated("1981-05-12")).value,
        score_person(q, rec()).value,
        score_person(q, dated("1955-05-12")).value,
    ]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    # A slip is no veto: the exact name stays a hit; even a contradiction alone does not veto it.
    assert score_person(q, dated("1981-05-12")).value >= SCREENING_THRESHOLD
    assert score_person(q, dated("1950-02-03")).value >= SCREENING_THRESHOLD


def test_a_candidate_without_a_date_does_not_outrank_an_exact_name_with_a_near_date() -> None:
    index = build_index(
        [
            {"id": "a-nodate", "schema": "Person", "properties": {"name": [NAME]}},
            {
                "id": "z-near",
                "schema": "Person",
                "properties": {"name": [NAME], "birthDate": ["1981-05-12"]},
            },
            {
                "id": "b-similar",
                "schema": "Person",
                "properties": {"name": ["Iwan Petrow"]},
            },
        ]
    )
    for near in ("1981-05-12", "1980-12-05"):  # a year off; day and month swapped
        index.persons[1] = dated(near, rid="z-near")
        found = index.screen(dated("1980-05-12"), threshold=0.0)
        assert found[0].person.id == "z-near", [(c.person.id, c.score.value) for c in found]


def test_the_same_document_is_strong_a_different_one_from_the_same_issuer_counts_against() -> None:
    q = rec(documents=("UA123456",), nationalities=("ua",))
    base = score_person(rec(nationalities=("ua",)), rec(nationalities=("ua",))).value
    same = score_person(q, rec(documents=("ua 123-456",), nationalities=("ua",)))
    assert same.value >= p.DOCUMENT_FLOOR and "UA123456 on both" in same.explain()
    other = score_person(q, rec(documents=("UA999999",), nationalities=("ua",)))
    assert other.value == pytest.approx(base + p.OTHER_DOCUMENT)
    assert "same issuer (ua): contradicts" in other.explain()
    # Issuers unknown (no single nationality, no stated country): not compared.
    unknown = score_person(rec(documents=("UA123456",)), rec(documents=("X1",)))
    assert unknown.value == score_person(rec(), rec()).value and "not compared" in unknown.explain()
    # A stated issuing country wins over nationality: a Ukrainian with a Polish passport.
    polish = rec(documents=("PL555",), nationalities=("ua",), document_countries=("pl",))
    assert "not compared" in score_person(q, polish).explain()
    # The same document lifts even a different name to the floor.
    assert score_person(q, rec("Olga Shevchenko", documents=("UA123456",))).value >= 0.9


def test_documents_held_as_their_own_entities_become_the_holders() -> None:
    index = build_index(
        [
            {"id": "p1", "schema": "Person", "properties": {"name": [NAME]}},
            {
                "id": "pp1",
                "schema": "Passport",
                "properties": {"holder": ["p1"], "number": ["AB 123456"], "country": ["ua"]},
            },
        ]
    )
    assert index.persons[0].documents == ("AB 123456",)
    assert index.persons[0].document_countries == ("ua",)
    other = rec(documents=("AB999999",), document_countries=("ua",))
    found = index.screen(other, threshold=0.0)
    assert "contradicts" in found[0].score.explain()
    by_number = index.screen(rec("Someone Else", documents=("ab123456",)), threshold=0.0)
    assert [c.person.id for c in by_number] == ["p1"]  # the number finds the holder


def test_given_names_that_contradict_pull_down_missing_ones_do_not() -> None:
    q = rec("Kim Jong Un", given_names=("Jong Un",))
    plain = score_person(rec("Kim Jong Un"), rec("Kim Jong Nam")).value
    differ = score_person(q, rec("Kim Jong Nam", given_names=("Jong Nam",)))
    # "Jong" agrees: one shared part is enough not to call the given names contradicting
    assert not any(f.name == "given_name" for f in differ.features)
    q2 = rec("Anna Berg", given_names=("Anna",))
    base = score_person(rec("Anna Berg"), rec("Maria Berg")).value
    contra = score_person(q2, rec("Maria Berg", given_names=("Maria",)))
    assert contra.value == pytest.approx(max(0.0, base + p.OTHER_GIVEN_NAME))
    assert "'Anna' vs 'Maria': given names differ" in contra.explain()
    assert plain > 0  # the family-name pair itself still compares
    # Missing on one side: no effect. An initial agrees with the name it starts.
    assert score_person(q2, rec("Maria Berg")).value == base
    assert not any(
        f.name == "given_name"
        for f in score_person(q2, rec("A. Berg", given_names=("A.",))).features
    )


def test_given_names_in_another_writing_are_read_before_they_contradict() -> None:
    """陳大文 is Chan Tai Man in Hong Kong and 唐曉晴 Tong Io Cheng in Macao: their given
    names' pinyin (da wen, xiao qing) shares no part with the Latin, but they are one
    name in another reading, not a contradiction. Another given name still is."""
    for latin, given, han, han_given in (
        ("Chan Tai Man", "Tai Man", "陳大文", "大文"),
        ("Tong Io Cheng", "Io Cheng", "唐曉晴", "曉晴"),
    ):
        read = score_person(rec(latin, given_names=(given,)), rec(han, given_names=(han_given,)))
        assert not any(f.name == "given_name" for f in read.features), read.explain()
    other = score_person(
        rec("Chan Tai Man", given_names=("Tai Man",)), rec("陳小明", given_names=("小明",))
    )
    assert any(f.name == "given_name" for f in other.features), other.explain()


def test_shared_nationality_cannot_lift_a_weak_name_over_the_threshold() -> None:
    weak = ("Meghana Suhani Soni", "Nasiruddin Haqqani")
    alone = score_person(rec(weak[0]), rec(weak[1]))
    with_nat = score_person(
        rec(weak[0], nationalities=("af",)), rec(weak[1], nationalities=("af",))
    )
    assert with_nat.value == pytest.approx(alone.value + p.SAME_NATIONALITY)
    assert with_nat.value < SCREENING_THRESHOLD
    other = score_person(rec(nationalities=("ua",)), rec(nationalities=("ru",)))
    assert other.value == pytest.approx(p.NAME_CEILING + p.OTHER_NATIONALITY)


def test_a_different_sex_counts_against() -> None:
    same = score_person(rec(sex="male"), rec(sex="male")).value
    assert same == p.NAME_CEILING
    assert score_person(rec(sex="male"), rec(sex="female")).value == pytest.approx(
        p.NAME_CEILING + p.OTHER_SEX
    )


def test_a_name_matched_only_through_a_reading_is_weaker_evidence() -> None:
    assert p.through_reading("成 朱", "Choe Chun Yong") and p.through_reading(
        "김정은", "Kim Jong Un"
    )
    assert not p.through_reading("Олена", "Olena") and not p.through_reading("王小明", "王小明")
    cross = score_person(rec("王小明"), rec("Wang Xiaoming"))
    assert cross.value <= p.READING_CEILING
    assert "through a reading of Chinese characters" in feature(cross, "name").explanation
    assert p.through_reading("حسین محمدی", "Hassan Mahmood")
    assert p.writing("김정은") == "hangul" and p.writing("حسین") == "abjad"
    assert score_person(rec("王小明"), rec("王小明")).value == p.NAME_CEILING
    # corroboration still lifts a cross-script name: with the same full date it is a hit
    with_date = score_person(dated("1990-01-02", "王小明"), dated("1990-01-02", "Wang Xiaoming"))
    assert with_date.value == pytest.approx(cross.value + p.EXACT_DATE)


def test_manifest_rows_give_given_names_and_unpadded_dates() -> None:
    row = passenger({"name": "PETROV, Ivan", "birth_date": "1969-7-6"}, 2)
    assert row.given_names == ("Ivan",) and row.birth_dates == ("1969-07-06",)
    split = passenger({"given_names": "Ivan", "surname": "Petrov"}, 3)
    assert split.names == ("Ivan Petrov",) and split.given_names == ("Ivan",)
    with pytest.raises(ValueError, match="birth_date: '1974-01-32' is not a date"):
        passenger({"name": "X", "birth_date": "1974-01-32"}, 4)


@pytest.mark.parametrize(
    ("listed", "typed"),
    [
        ("Laurent Nkunda", "Lauren Tnkunda"),  # a space in the wrong place: glued key
        ("Sylvestre Mudacumura", "Sylvestre Umdacumura"),  # first letters swapped: re-sorted
    ],
)
def test_screening_finds_typos_the_prefilter_used_to_drop(listed: str, typed: str) -> None:
    people = [{"id": "target", "schema": "Person", "properties": {"name": [listed]}}]
    people += [
        {
            "id": f"o{n}",
            "schema": "Person",
            "properties": {"name": [f"{other} {listed.split()[1]}"]},
        }
        for n, other in enumerate(("Marie", "Jean", "Paul", "Pierre", "Louise"))
    ]
    found = build_index(people).screen(rec(typed), threshold=SCREENING_THRESHOLD)
    assert found and found[0].person.id == "target"
