"""The whole-name forms of a Chinese name (one system per name, `comparison_forms`) make
the initial-consonant check the per-syllable path makes (ADR 0053, ADR 0056): a Latin
part written for one character must start as one of that character's readings can.
Names made up from the rules or public figures', not rows of the development data."""

from __future__ import annotations

from palermo.match.names import (
    INITIAL_MISMATCH,
    _han_native,
    _whole_name_similarity,
    combine,
    name_match,
    name_similarity,
    parts_similarity,
)
from palermo.match.names_han_glued import fitting_parts, spells_run
from palermo.match.screening import SCREENING_THRESHOLD


def test_a_syllable_with_another_initial_does_not_carry_the_whole_name() -> None:
    # 黄家定 in Hong Kong Cantonese is wong-ka-ding: neng shares "ng" with ding, but no
    # Chinese language reads 定 with an n (ding, ting, deng)
    assert parts_similarity(("wong", "ka", "neng"), ("wong", "ka", "ding")) > 0.7
    checked = _whole_name_similarity(("wong", "ka", "neng"), ("wong", "ka", "ding"))
    assert checked == round(combine([1.0, 1.0, INITIAL_MISMATCH], 3, 3)[0], 4)
    assert name_similarity("Wong Ka Neng", "黄家定") < SCREENING_THRESHOLD


def test_readings_of_the_same_character_still_match() -> None:
    for latin in ("Wong Ka Ding", "Wong Ka Teng", "Huang Jia Ding"):
        assert name_similarity(latin, "黄家定") >= 0.95, latin
    assert name_similarity("Tong Io Cheng", "唐曉晴") >= 0.95  # Macao


def test_a_glued_given_name_is_compared_by_its_letters() -> None:
    """One Latin part for two characters holds two initials: not judged as one."""
    parts, form = ("ma", "yingjeou"), ("ma", "ying", "jiu")
    assert _whole_name_similarity(parts, form) == parts_similarity(parts, form)


def test_the_check_never_raises_a_score() -> None:
    """Capped cells can lead the greedy pairing elsewhere; the letters' score is a ceiling."""
    for parts, form in (
        (("chan", "tai", "man"), ("chen", "da", "wen")),
        (("wong", "ka", "sing"), ("wong", "ka", "ding")),
        (("lee", "lam", "thye"), ("li", "yi", "xian")),
    ):
        assert _whole_name_similarity(parts, form) <= parts_similarity(parts, form)


# Glued given names (ADR 0053 amendment, `names_han_glued`): one Latin part for several
# characters is cut into syllables, each of which must start as its character can.


def test_a_glued_part_is_cut_into_syllables_with_corresponding_initials() -> None:
    assert spells_run("yingjeou", (("ying",), ("jiu",)))  # ying|jeou: Wade-Giles j is pinyin j
    assert spells_run("kating", (("ka",), ("ding",)))  # t ~ d: Cantonese ting, pinyin ding
    assert not spells_run("kaneng", (("ka",), ("ding",)))  # ka|neng: n is not d
    # kan|eng would give 定 no initial at all: a syllable starting with a vowel after
    # another syllable only stands for a character without an initial
    assert not spells_run("kaneng", (("wong",), ("ka",)))
    assert spells_run("xian", (("xi",), ("an",)))  # 西安: the vowel-initial syllable is an


def test_a_glued_given_name_that_cannot_spell_its_characters_is_no_match() -> None:
    for latin in ("Wong Kaneng", "Kaneng Wong", "Wong Ka-neng"):
        assert name_similarity(latin, "黄家定") < SCREENING_THRESHOLD, latin
    assert parts_similarity(("wong", "kaneng"), ("wong", "ka", "ding")) > SCREENING_THRESHOLD
    capped = _whole_name_similarity(("wong", "kaneng"), ("wong", "ka", "ding"))
    assert capped < SCREENING_THRESHOLD
    # the same characters glued the way they are read still match
    for latin in ("Wong Kating", "Kating Wong", "Huang Jiading", "Ong Kating"):
        assert name_similarity(latin, "黄家定") >= 0.95, latin
    assert name_similarity("Ma Yingjeou", "馬英九") >= 0.95


def test_the_per_character_readings_cap_a_glued_part_that_fits_nowhere() -> None:
    match = name_match("Wong Kaneng", "黄家定")
    assert match.score < SCREENING_THRESHOLD, match.explain()
    readings = _han_native(("wong", "kaneng"), "黄家定")
    assert dict((p, s) for p, _, s in readings.pairs)["kaneng"] <= INITIAL_MISMATCH


def test_latin_that_writes_more_than_the_characters_is_not_capped() -> None:
    """Chinese press may write only part of a Malay name: when the parts that fit spell
    every character, an extra Latin part is a missing part, scored as before."""
    form = (("fa",), ("zi",), ("man",))
    assert fitting_parts(("faziman", "ali"), form) == (True, True)
    assert fitting_parts(("wong", "kaneng"), (("wong",), ("ka",), ("ding",))) == (True, False)


def test_the_glued_check_never_raises_a_score() -> None:
    for parts, form in (
        (("wong", "kaneng"), ("wong", "ka", "ding")),
        (("lee", "yingyuan"), ("li", "zhi", "sheng")),
        (("kenneth", "wong"), ("wong", "ka", "ding")),
        (("ma", "yingjeou"), ("ma", "ying", "jiu")),
    ):
        assert _whole_name_similarity(parts, form) <= parts_similarity(parts, form)
