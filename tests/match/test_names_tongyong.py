"""Tongyong Pinyin (Taiwan 2002-2008) against Chinese characters (ADR 0043).

The syllable table comes from pinyin4j's published romanisation table; here it is checked
against the differences Taiwan's Tongyong rules state (j/q/x -> j/c/s, zh -> jh, buzzing
vowel ih, iu/ui -> iou/uei after a consonant, ü -> yu, feng/weng -> fong/wong, wen -> wun)
over every syllable pypinyin knows. Names are textbook examples and Taiwanese township names
as Chunghwa Post spelled them about 2008 (`data/taiwan_townships_2008.tsv`), not rows of the
development data.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from palermo.match import names_han
from palermo.match.names import keys, name_match, name_similarity
from palermo.match.names_han import (
    char_readings,
    comparison_forms,
    pinyin_readings,
    tongyong_form,
)
from palermo.match.names_tongyong import HANYU_TO_TONGYONG, tongyong
from palermo.match.screening import SCREENING_THRESHOLD

TOWNSHIPS = Path(__file__).parent / "data" / "taiwan_townships_2008.tsv"
# Characters common in Chinese names, a third of them read differently in Tongyong.
NAME_CHARS = "王李張劉陳楊黃趙周吳徐孫朱馬胡郭林何高謝志清秀英華明國建文玉美芳麗強軍平春秋"


def _by_rules(syllable: str) -> str:
    """Tongyong from Hanyu by the published list of differences, written independently of
    the table so that the two sources check each other."""
    found = re.fullmatch(r"(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw]?)(.*)", syllable)
    assert found is not None
    initial, final = found.groups()
    if initial in ("zh", "ch", "sh", "r", "z", "c", "s") and final == "i":
        final = "ih"
    if initial in ("j", "q", "x"):
        final = {"u": "yu", "uan": "yuan", "ue": "yue", "un": "yun", "iong": "yong"}.get(
            final, final
        )
    final = final.replace("ü", "yu")
    if initial not in ("", "y", "w"):
        final = {"iu": "iou", "ui": "uei"}.get(final, final)
    if (initial, final) in (("f", "eng"), ("w", "eng")):
        final = "ong"
    if (initial, final) == ("w", "en"):
        final = "un"
    return {"zh": "jh", "q": "c", "x": "s"}.get(initial, initial) + final


def _all_syllables() -> set[str]:
    out = {to_normal(r, v_to_u=True) for v in pinyin_dict.values() for r in v.split(",")}
    return out | set(HANYU_TO_TONGYONG)


def test_table_agrees_with_the_published_rules_on_every_syllable() -> None:
    syllables = _all_syllables()
    assert len(syllables) > 400
    for syllable in syllables:
        assert HANYU_TO_TONGYONG.get(syllable, syllable) == _by_rules(syllable), syllable


def test_table_holds_only_syllables_that_differ() -> None:
    assert all(h != t for h, t in HANYU_TO_TONGYONG.items())
    assert tongyong("lin") is None and tongyong("wang") is None
    assert tongyong("lv") == "lyu" and tongyong("XI") == "si"


@pytest.mark.parametrize(
    ("char", "spelling"),
    [("志", "jhih"), ("詞", "cih"), ("西", "si"), ("希", "si"), ("七", "ci"), ("中", "jhong"),
     ("新", "sin"), ("竹", "jhu"), ("謝", "sie"), ("邱", "ciou"), ("徐", "syu"), ("女", "nyu"),
     ("水", "shuei"), ("峰", "fong"), ("文", "wun")],
)  # fmt: skip
def test_textbook_syllables_get_their_tongyong_spelling(char: str, spelling: str) -> None:
    assert tongyong_form(char) == (spelling,)


@pytest.mark.parametrize("char", ["林", "王", "李", "吳", "何", "安", "明"])
def test_no_tongyong_form_where_it_spells_like_pinyin(char: str) -> None:
    assert tongyong_form(char) is None
    assert all(system != "Tongyong" for system, _ in comparison_forms(char))


def test_tongyong_is_never_a_per_character_reading() -> None:
    """A name is written in one system: Tongyong syllables are not mixed, character by
    character, with Cantonese or Hokkien readings (that raised false hits, ADR 0043)."""
    for char in NAME_CHARS + "新竹西溪七中志詞謝邱徐":
        for surname in (False, True):
            assert all(system != "Tongyong" for _, system in char_readings(char, surname))


def test_whole_name_form_only_when_some_syllable_differs() -> None:
    assert tongyong_form("新竹") == ("sin", "jhu")
    assert tongyong_form("張志清") == ("jhang", "jhih", "cing")
    assert tongyong_form("林大安") is None
    assert ("Tongyong", ("sie", "jhih", "wei")) in comparison_forms("謝志偉")


@pytest.mark.parametrize(
    ("latin", "han"),
    [("Sie Chang-ting", "謝長廷"), ("Jhang Jhih-cing", "張志清"), ("Syu Siou-lan", "徐秀蘭"),
     ("Ciou Jhih-wei", "邱志偉"), ("Lyu Siou-lian", "呂秀蓮"), ("Chen Shuei-bian", "陳水扁")],
)  # fmt: skip
def test_tongyong_person_names_match_their_characters(latin: str, han: str) -> None:
    match = name_match(latin, han)
    assert match.score >= 0.9, match


@contextmanager
def _without_tongyong() -> Iterator[None]:
    """The matcher as it was before ADR 0043: no Tongyong readings, cold caches."""
    _clear_caches()
    try:
        with mock.patch.object(names_han, "tongyong", lambda _: None):
            yield
    finally:
        _clear_caches()


def _clear_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("palermo.match.names"):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


def test_sie_scores_higher_with_tongyong_than_without() -> None:
    with _without_tongyong():
        before = name_similarity("Sie Chang-ting", "謝長廷")
    assert name_similarity("Sie Chang-ting", "謝長廷") > before


def _hanyu(han: str) -> str:
    syllables = [pinyin_readings(c)[0].replace("ü", "u") for c in han]
    return f"{syllables[0]} {'-'.join(syllables[1:])}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=NAME_CHARS, min_size=2, max_size=3))
def test_no_hanyu_match_is_lost(han: str) -> None:
    """Tongyong only adds readings: a name in Hanyu Pinyin scores as it did without them."""
    latin = _hanyu(han)
    with _without_tongyong():
        before = name_similarity(latin, han)
    assert name_similarity(latin, han) >= before


def _townships() -> list[tuple[str, str]]:
    rows = TOWNSHIPS.read_text(encoding="utf-8").splitlines()
    return [(c, r) for c, r in (line.split("\t") for line in rows if not line.startswith("#"))]


def test_taiwanese_township_names_match_their_characters() -> None:
    """Chunghwa Post's spellings (mostly Tongyong) all reach the screening threshold; the
    Tongyong-spelled ones are what the new readings are for."""
    rows = _townships()
    assert len(rows) > 300
    tongyong_spelled = [(c, r) for c, r in rows if tongyong_form(c) is not None]
    assert len(tongyong_spelled) > 100
    misses = [(c, r) for c, r in rows if name_similarity(r, c) < SCREENING_THRESHOLD]
    assert misses == []


@pytest.mark.parametrize(
    ("latin", "han"),
    [("Sie Chang-ting", "謝長廷"), ("Jhang Jhih-cing", "張志清"), ("Syu Siou-lan", "徐秀蘭"),
     ("Ciou Jhih-wei", "邱志偉"), ("Jhuo Sin-yi", "卓欣怡"), ("Cian Jhong-syun", "錢中勛")],
)  # fmt: skip
def test_tongyong_names_share_a_blocking_key(latin: str, han: str) -> None:
    """Screening scores only candidates that share a key; Tongyong adds none, so the pinyin
    readings' keys must already meet the Tongyong spelling."""
    assert keys(latin) & keys(han)
