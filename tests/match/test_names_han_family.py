"""Chinese names romanised the native way against their characters (ADR 0038): the family
name pairs with the first character, a Western given name beside it explains nothing, and a
name written one Latin part per character is compared syllable by syllable, so sound
classes may not slide across syllables. Names here are public figures and textbook
placeholders (陳大文 is Hong Kong's "John Doe"), not rows of the development data."""

from __future__ import annotations

import pytest

from palermo.match.names import _family_first_transcription, name_match, name_similarity
from palermo.match.names_han import family_name_split, spells_chinese_syllables
from palermo.match.screening import SCREENING_THRESHOLD


@pytest.mark.parametrize(
    "word", ["hng", "kiang", "cheuk", "yingjeou", "siew", "tsz", "xiong", "chhoa", "burne"]
)
def test_chinese_syllables_in_any_system(word: str) -> None:
    assert spells_chinese_syllables(word)


@pytest.mark.parametrize(
    "word", ["kenneth", "desmond", "anthony", "michael", "christopher", "emily", "richard"]
)
def test_western_given_names_are_not_chinese_syllables(word: str) -> None:
    assert not spells_chinese_syllables(word)


def test_family_name_split_only_for_a_native_run_of_two_to_four_characters() -> None:
    split = family_name_split("李光耀")
    assert split is not None
    spellings, given = split
    assert given == "光耀" and {"li", "lee"} <= set(spellings)
    assert family_name_split("唐纳德·特朗普") is None  # a foreigner's name, separated
    assert family_name_split("诺拉阿都拉曼") is None  # six characters: a transcription
    assert family_name_split("李") is None


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Lee Kuan Yew", "李光耀"),
        ("Goh Chok Tong", "吳作棟"),
        ("Ma Ying-jeou", "馬英九"),
        ("Anthony WONG Chi-ming", "黃志明"),
        ("Tan Siew Ming", "陳修明"),  # Hokkien siew: w after a vowel is u
        ("Tai Man Chan", "陳大文"),  # family name last
    ],
)
def test_native_romanisations_match_their_characters(latin: str, han: str) -> None:
    assert name_similarity(latin, han) >= SCREENING_THRESHOLD


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Lee Kuan Yew", "李國雄"),  # same family name, another given name
        ("Goh Chok Tong", "吳志明"),
        ("Anthony WONG Chi-ming", "黃國強"),
        ("Tan Siew Ming", "陳國強"),
        ("Chan Tai Man", "陳國強"),
    ],
)
def test_a_shared_family_name_does_not_carry_another_given_name(latin: str, han: str) -> None:
    assert name_similarity(latin, han) < SCREENING_THRESHOLD


def test_the_family_names_character_is_not_spent_on_a_given_name() -> None:
    """Before: 'lam' alone against li-yi-xian by sound classes (L..N) scored 0.79."""
    match = name_match("Lee Lam Thye", "李奕賢")
    assert match.score < SCREENING_THRESHOLD
    assert ("lee", "li", 1.0) in match.pairs


def test_a_western_given_name_transcribes_none_of_the_characters() -> None:
    """Sound classes would hear Kenneth in guo-xiong (K..N); as a transcription of the
    given-name characters it now counts for nothing, the family name alone decides nothing."""
    found = _family_first_transcription("Kenneth LEUNG", "梁國雄")
    assert found.score == 0.0 and found.method.startswith("family name only")
    assert name_similarity("Kenneth LEUNG", "梁國雄") < SCREENING_THRESHOLD
    assert name_similarity("Kenneth LEUNG Kwok-hung", "梁國雄") >= SCREENING_THRESHOLD


def test_one_part_per_character_is_compared_syllable_by_syllable() -> None:
    """Tong-io-cheng glued against huang-jie-zhen agrees on sound classes (T/N/J/N);
    syllable by syllable io ~ jie does not."""
    match = name_match("Tong Io Cheng", "黃家珍")
    assert match.score < SCREENING_THRESHOLD
    assert name_similarity("Wong Ka Chun", "王家珍") >= SCREENING_THRESHOLD
    assert name_similarity("Wong Ka Chun", "王大明") < SCREENING_THRESHOLD


def test_the_explanation_names_the_family_name_and_each_syllable() -> None:
    match = name_match("Goh Chok Tong", "吳作棟")
    assert match.score == name_similarity("Goh Chok Tong", "吳作棟")
    assert [a for a, _, _ in match.pairs] == ["goh", "chok", "tong"]


def test_foreign_names_in_characters_still_transcribe_whole() -> None:
    assert name_similarity("Donald Trump", "唐纳德·特朗普") >= 0.85
    assert name_similarity("Tim Cook", "蒂姆·库克") >= 0.85
