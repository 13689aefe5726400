"""Given names in another form (nicknames, Latin forms, another script) through rigour's
name symbols (ADR 0055). Names here are made up, not taken from the benchmark pairs."""

from __future__ import annotations

import pytest

from palermo.match.names import name_match, name_similarity
from palermo.match.names_symbols import NAME_SYMBOL, NICKNAME, name_symbols, symbol_level
from palermo.match.person import PersonRecord, score_person
from palermo.match.screening import SCREENING_THRESHOLD

SAME = [
    ("Dick Halloran", "Richard Halloran"),  # nickname
    ("Bill Ostrander", "William Ostrander"),
    ("Ludovicus Verbeek", "Louis Verbeek"),  # Latin form
    ("爱德华·格林", "Edward Green"),  # the given and family name in Chinese characters
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_a_given_name_in_another_form_reaches_the_threshold(a: str, b: str) -> None:
    assert name_similarity(a, b) >= SCREENING_THRESHOLD
    assert name_similarity(b, a) == name_similarity(a, b)
    assert name_match(a, b).score == name_similarity(a, b)


def test_the_explanation_names_the_symbol_pair_in_the_callers_order() -> None:
    found = name_match("Richard Halloran", "Dick Halloran")
    assert found.method == "name symbols (rigour)"
    assert ("Richard", "Dick", NICKNAME) in found.pairs
    flipped = name_match("Dick Halloran", "Richard Halloran")
    assert ("Dick", "Richard", NICKNAME) in flipped.pairs


def test_a_shared_symbol_counts_below_the_same_spelling() -> None:
    nick = name_similarity("Dick Halloran", "Richard Halloran")
    assert nick < name_similarity("Richard Halloran", "Richard Halloran")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dick Halloran", "Richard Wexford"),  # the family name differs
        ("Bill Ostrander", "William Quaresma"),
        ("爱德华·格林", "Edward Kowalczyk"),
    ],
)
def test_a_shared_given_name_symbol_never_makes_a_family_name_mismatch_a_hit(
    a: str, b: str
) -> None:
    assert name_similarity(a, b) < SCREENING_THRESHOLD


def test_a_nickname_links_only_to_the_names_it_shortens_not_names_sharing_it() -> None:
    # "Ed" shortens Edward and Edgar alike; Edward and Edgar are not one name through it.
    edward, edgar, ed = (name_symbols(n).parts[0] for n in ("Edward", "Edgar", "Ed"))
    assert symbol_level(ed, edward) == NICKNAME
    assert symbol_level(edward, edgar) == 0.0
    assert name_match("Edgar Pellworm", "Edward Pellworm").method != "name symbols (rigour)"


def test_same_name_item_across_scripts_is_a_name_symbol() -> None:
    (han,) = name_symbols("爱德华").parts
    (latin,) = name_symbols("Edward").parts
    assert symbol_level(han, latin) == NAME_SYMBOL


def test_a_lone_family_name_character_gets_no_symbols() -> None:
    # 楊's Wikidata items link it to its romanisations (Yung among them): the character
    # readings judge that with the whole name, a symbol alone would pair it with a given name.
    (yang,) = name_symbols("楊").parts
    assert yang.symbols == frozenset()
    assert name_match("志宏 楊", "Ming Yung Tsao").method != "name symbols (rigour)"


def test_a_name_rigour_splits_otherwise_gets_no_symbols() -> None:
    assert name_symbols("").parts == ()
    assert name_symbols("Richard Halloran").parts[0].word == "Richard"


def test_a_nickname_given_name_is_not_a_contradicting_given_name() -> None:
    query = PersonRecord("q", ("Richard Halloran",), given_names=("Richard",))
    nick = PersonRecord("c", ("Dick Halloran",), given_names=("Dick",))
    other = PersonRecord("d", ("Walter Halloran",), given_names=("Walter",))
    assert "given_name" not in {f.name for f in score_person(query, nick).features}
    assert "given_name" in {f.name for f in score_person(query, other).features}
