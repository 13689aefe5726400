"""Characters that read differently as a family name (ADR 0050): 单 is dan as a word and
Shan as a surname, 曾 ceng and Zeng, 区 qu and Ou (Hong Kong Au), 查 cha and Zha (Cha),
解 jie and Xie, 仇 chou and Qiu, 朴 pu and Piao, 尉迟 Yuchi, 万俟 Moqi. In the family-name
position the surname reading comes first in every whole-name form; every reading a
character had before stays available. Examples are textbook surnames and public figures
(單仲偕 Sin Chung-kai, 區諾軒 Au Nok-hin, 查良鏞 Louis Cha, 曾國藩 Zeng Guofan), not rows
of the development data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.match.names import name_similarity
from palermo.match.names_han import (
    char_readings,
    family_name_split,
    native_readings,
    system_forms,
    tongyong_form,
)
from palermo.match.names_han_surnames import SURNAME_READINGS


def _form(name: str, system: str) -> tuple[str, ...]:
    return dict(system_forms(name))[system]


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("单田芳", ("shan", "tian", "fang")),
        ("單仲偕", ("shan", "zhong", "xie")),
        ("曾国藩", ("zeng", "guo", "fan")),
        ("解缙", ("xie", "jin")),
        ("仇英", ("qiu", "ying")),
        ("区诺轩", ("ou", "nuo", "xuan")),
        ("朴槿惠", ("piao", "jin", "hui")),
        ("查良镛", ("zha", "liang", "yong")),
        ("盖叫天", ("ge", "jiao", "tian")),
        ("翟天临", ("zhai", "tian", "lin")),
        ("尉迟恭", ("yu", "chi", "gong")),
        ("尉遲恭", ("yu", "chi", "gong")),
        ("万俟卨", ("mo", "qi", "xie")),
    ],
)
def test_family_name_reads_as_a_surname_in_the_pinyin_form(
    name: str, pinyin: tuple[str, ...]
) -> None:
    assert _form(name, "pinyin") == pinyin


@pytest.mark.parametrize(
    ("name", "system", "family"),
    [
        ("單仲偕", "Cantonese (Hong Kong)", "sin"),  # Sin Chung-kai
        ("區諾軒", "Cantonese (Hong Kong)", "au"),  # Au Nok-hin
        ("區諾軒", "Cantonese (Macao)", "ao"),
        ("查良鏞", "Cantonese (Hong Kong)", "cha"),  # Louis Cha
        ("解縉", "Cantonese (Hong Kong)", "hai"),
        ("解縉", "Wade-Giles", "hsieh"),
        ("翟天臨", "Wade-Giles", "chai"),
        ("朴槿惠", "Cantonese (Hong Kong)", "piu"),
    ],
)
def test_family_name_reads_as_a_surname_in_other_systems(
    name: str, system: str, family: str
) -> None:
    assert _form(name, system)[0] == family


def test_compound_surname_in_wade_giles() -> None:
    assert _form("尉遲恭", "Wade-Giles")[:2] == ("yu", "chih")


def test_tongyong_form_uses_the_surname_reading() -> None:
    assert tongyong_form("解縉") == ("sie", "jin")  # jie would need no Tongyong form
    assert tongyong_form("仇英") == ("ciou", "ying")


def test_only_the_family_name_position_reads_as_a_surname() -> None:
    assert _form("李单", "pinyin") == ("li", "dan")  # 单 as a given name keeps dan
    assert _form("单", "pinyin") == ("dan",)  # a lone character is not a name
    # a foreigner's name transcribed: 查尔斯 is Charles, its 查 is cha
    assert _form("查尔斯·狄更斯", "pinyin")[0] == "cha"


def test_family_name_split_knows_compound_surnames() -> None:
    split = family_name_split("尉迟恭")
    assert split is not None
    spellings, given_name = split
    assert "yuchi" in spellings and given_name == "恭"
    single = family_name_split("单田芳")
    assert single is not None and single[0][0] == "shan" and "dan" in single[0]


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Shantianfang", "单田芳"),  # glued: only the whole-name form can explain it
        ("Sie Jin", "解縉"),  # Tongyong, whole-name form only (ADR 0043)
    ],
)
def test_whole_name_spellings_of_surname_readings_match(latin: str, han: str) -> None:
    assert name_similarity(latin, han) == 1.0


def test_common_readings_still_match() -> None:
    assert name_similarity("Dan Lao", "单老") == 1.0
    assert name_similarity("Ceng Guofan", "曾国藩") >= 0.9


def test_table_readings_are_readings_pypinyin_knows() -> None:
    """The surname table comes from another project (pinyin-pro): every reading it gives
    must be one of pypinyin's readings of that character, or the two disagree on data."""
    from pypinyin import Style, pinyin

    for surname, (mandarin, _) in SURNAME_READINGS.items():
        for char, reading in zip(surname, mandarin, strict=True):
            known = pinyin(char, style=Style.NORMAL, heteronym=True, v_to_u=True)[0]
            assert reading in known, (surname, char, reading, known)


_SINGLE = sorted(k for k in SURNAME_READINGS if len(k) == 1)
_GIVEN = "文华明国伟志强秀英玲德成天"


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_SINGLE),
    st.text(alphabet=_GIVEN + "".join(_SINGLE), min_size=1, max_size=3),
)
def test_surname_first_and_no_reading_lost(family: str, given_name: str) -> None:
    """Any native name starting with a table surname: its pinyin form starts with the
    surname reading, and each character keeps every reading it has out of position."""
    name = family + given_name
    assert _form(name, "pinyin")[0] == SURNAME_READINGS[family][0][0].replace("ü", "u")
    for char, options in zip(name, native_readings(name), strict=True):
        spellings = {s for s, _ in options}
        assert {s for s, _ in char_readings(char, surname=False)} <= spellings
