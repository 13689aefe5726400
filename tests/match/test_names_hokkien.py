"""Chinese given names in the Hokkien spellings of Malaysian and Singaporean passports
(issue 14, ADR 0009 amendment): readings from taibun's dictionary, folded to the passport
habit. Names are public figures (Chinese forms as Chinese Wikipedia writes them) or made
up from the rules, not rows of the development data."""

from __future__ import annotations

import subprocess
import sys

import pytest

from palermo.match.names import name_match, name_similarity
from palermo.match.names_han import char_readings
from palermo.match.names_hokkien import hokkien_spellings, passport_spellings
from palermo.match.screening import SCREENING_THRESHOLD


@pytest.mark.parametrize(
    ("tailo", "spelled"),
    [
        ("khìng", "keng"),  # aspiration unwritten, ing as eng
        ("tsì", "chee"),  # ts as ch, an open i as ee
        ("bûn", "boon"),  # un as oon
        ("kun", "koon"),
        ("ngôo", "ngoh"),  # Tai-lo oo is o, and a final o also oh
        ("tik", "tek"),  # ik as ek
        ("iông", "yong"),  # a leading i before a vowel as y
        ("tiunn", "tiu"),  # a nasalised vowel written plain
    ],
)
def test_tailo_folds_to_the_passport_habit(tailo: str, spelled: str) -> None:
    assert spelled in passport_spellings(tailo)


def test_aspirated_spelling_stays_as_well() -> None:
    assert {"keng", "kheng"} <= set(passport_spellings("khìng"))


def test_a_syllabic_nasal_is_kept() -> None:
    assert passport_spellings("n̂g") == ("ng",)


def test_traditional_and_simplified_characters_read_alike() -> None:
    assert hokkien_spellings("興") == hokkien_spellings("兴")
    assert "heng" in hokkien_spellings("兴")


def test_a_character_without_a_reading_has_no_spelling() -> None:
    assert hokkien_spellings("ㄅ") == ()


def test_hokkien_readings_come_last_so_a_surname_keeps_its_own_system() -> None:
    assert ("boon", "Hokkien") in char_readings("文", surname=False)
    family = char_readings("林", surname=True)
    assert dict(family)["lim"] == "Hokkien/Teochew surname"
    assert family[-1][1] == "Hokkien"


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Lim Boon Heng", "林文兴"),  # Singapore minister: 文 bun, 兴 heng
        ("Lim Boon Heng", "林文興"),
        ("Boon Heng Lim", "林文兴"),  # family name last
        ("Koh Tsu Koon", "许子根"),  # Malaysian minister: 根 kun
        ("Tan Keng Yam", "陈庆炎"),  # Tony Tan, Singapore president: 庆 kheng, 炎 iam
        ("Teo Chee Hean", "张志贤"),  # 志 chee, 贤 hian
        ("Chua Soi Lek", "蔡细历"),
    ],
)
def test_hokkien_given_names_match(latin: str, han: str) -> None:
    assert name_similarity(latin, han) >= SCREENING_THRESHOLD
    assert "Hokkien" in name_match(latin, han).method


def test_hokkien_readings_raise_a_given_name_that_only_they_explain() -> None:
    # Mandarin wen and Cantonese man do not explain Boon; the Hokkien bun does.
    match = name_match("Lim Boon Heng", "林文兴")
    assert match.score == 1.0
    assert ("boon", "bun", 1.0) in match.pairs


@pytest.mark.parametrize(
    ("latin", "han"),
    [
        ("Lim Boon Heng", "林吉祥"),  # Lim Kit Siang: same family name, other given name
        ("Lim Kit Siang", "林文兴"),
        ("Lim Boon Heng", "林志贤"),
        ("Teo Chee Hean", "张文兴"),
        ("Koh Tsu Koon", "许庆炎"),
        ("Tan Keng Yam", "陈文庆"),  # 庆 keng in the wrong place, 文 boon is not yam
        ("Chua Soi Lek", "蔡志贤"),
    ],
)
def test_same_family_name_other_given_name_stays_apart(latin: str, han: str) -> None:
    assert name_similarity(latin, han) < SCREENING_THRESHOLD


def test_taibun_loads_only_for_chinese_characters() -> None:
    code = (
        "import sys\n"
        "from palermo.match.names import name_similarity\n"
        "name_similarity('Lim Boon Heng', 'Lim Bun Heng')\n"
        "assert 'taibun' not in sys.modules, 'taibun loaded for Latin names'\n"
        "name_similarity('Lim Boon Heng', '林文兴')\n"
        "assert 'taibun' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
