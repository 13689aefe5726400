"""The whole-name forms of a Chinese name (one system per name, `comparison_forms`) make
the initial-consonant check the per-syllable path makes (ADR 0053, ADR 0056): a Latin
part written for one character must start as one of that character's readings can.
Names made up from the rules or public figures', not rows of the development data."""

from __future__ import annotations

from palermo.match.names import (
    INITIAL_MISMATCH,
    _whole_name_similarity,
    combine,
    name_similarity,
    parts_similarity,
)
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
