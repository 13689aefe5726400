"""Romanisation systems across scripts: Chinese readings, transcribed foreign names,
Cyrillic national systems, Arabic-script spellings of Latin names (ADR 0009).

Names are public figures' as widely published (not rows of any benchmark file)."""

from __future__ import annotations

import pytest

from palermo.match.names import (
    cyrillic_forms,
    keys,
    name_match,
    name_similarity,
)
from palermo.match.names_han import char_readings, hk_spelling, sound_keys

THRESHOLD = 0.7  # the documented screening default

SAME = [
    # Hong Kong government (Cantonese) spelling, family name first
    ("CHAN Kin-por", "陳健波"),
    ("Emily LAU Wai-hing", "劉慧卿"),
    ("LEUNG Chun-ying", "梁振英"),
    # Macao's Portuguese-based style
    ("Ho Iat Seng", "賀一誠"),
    # Taiwan: Wade-Giles, joined or hyphenated given names
    ("Tsai Ing-wen", "蔡英文"),
    ("Ma Ying-jeou", "馬英九"),
    ("Lee Teng-hui", "李登輝"),
    # Mandarin pinyin, family name last
    ("Jinping Xi", "习近平"),
    # Singapore: Hokkien/Teochew surnames
    ("Lee Hsien Loong", "李显龙"),
    ("Goh Chok Tong", "吳作棟"),
    # foreigners' names written in characters
    ("Donald Trump", "唐纳德·特朗普"),
    ("Angela Merkel", "安格拉·默克尔"),
    ("Vladimir Putin", "弗拉基米尔·普京"),
    # Cyrillic in national systems (ICU's default is ISO 9)
    ("Jo Johnson", "Джо Джонсон"),
    ("Yanko Stoyanov", "Янко Стоянов"),
    ("Dimitar Berbatov", "Димитър Бербатов"),
    ("Volodymyr Zelenskyy", "Володимир Зеленський"),
    # Arabic script writing Latin names: و/ي where Latin has vowels, no p/g
    ("David Jones", "دیوید جونز"),
    ("Peter Altmaier", "بيتر ألتماير"),
]

DIFFERENT = [
    ("Donald Trump", "唐纳德·拉姆斯菲尔德"),  # Donald Rumsfeld: same given name only
    ("CHAN Kin-por", "陳方安生"),  # Anson Chan: same family name only
    ("Tsai Ing-wen", "蔡英傑"),
    ("Jo Johnson", "Джо Байден"),
    ("David Jones", "دیوید کامرون"),
    ("Angela Merkel", "Ангела Рорбахер"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_person_in_another_romanisation(a: str, b: str) -> None:
    assert name_similarity(a, b) >= THRESHOLD, name_match(a, b).explain()
    assert name_similarity(b, a) == name_similarity(a, b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_sharing_one_part_is_not_the_same_name(a: str, b: str) -> None:
    assert name_similarity(a, b) < THRESHOLD, name_match(a, b).explain()


def test_jyutping_becomes_hong_kong_and_macao_spellings() -> None:
    assert hk_spelling("zoeng1") == "cheung"
    assert hk_spelling("gin6") == "kin"
    assert hk_spelling("si1") == "sze"
    assert hk_spelling("hiu2", macao=True) == "io"
    assert hk_spelling("cing4", macao=True) == "cheng"


def test_a_character_has_mandarin_cantonese_and_southern_readings() -> None:
    readings = dict(char_readings("陳", surname=True))
    assert readings["chen"] == "pinyin"
    assert readings["chan"] in {"Cantonese (Hong Kong)", "Hokkien/Teochew surname"}
    assert readings["tan"] == "Hokkien/Teochew surname"
    # surname spellings only where a surname stands; out of it, tan is the Hokkien reading
    assert "chin" not in dict(char_readings("陳", surname=False))
    assert dict(char_readings("陳", surname=False))["tan"] == "Hokkien"


def test_the_explanation_says_which_part_matched_which_in_which_system() -> None:
    found = name_match("TONG IO CHENG", "唐曉晴")
    assert "Macao" in found.method
    assert ("io", "io", 1.0) in found.pairs
    assert [a for a, _, _ in found.pairs] == ["tong", "io", "cheng"]
    flipped = name_match("唐曉晴", "TONG IO CHENG")
    assert [b for _, b, _ in flipped.pairs] == ["tong", "io", "cheng"]
    assert flipped.score == found.score


def test_transcription_compares_sounds_not_letters() -> None:
    assert sound_keys("trump", pinyin=False) == ("TLNP",)
    assert "TLNP" in sound_keys("telangpu", pinyin=True)
    found = name_match("Donald Trump", "唐纳德·特朗普")
    assert found.method.startswith("pinyin transcription")
    assert [b for _, b, _ in found.pairs] == ["tangnade", "telangpu"]


def test_cyrillic_national_systems_keep_words_whole() -> None:
    forms = cyrillic_forms("Ваньо Димитър Ян")
    assert "vano dimitr yan" in forms  # Russian BGN/PCGN
    assert "vanio dimitar yan" in forms  # Bulgarian official: ъ -> a


def test_blocking_keys_reach_every_romanisation() -> None:
    for a, b in [("Tong Io Cheng", "唐曉晴"), ("Donald Trump", "唐纳德·特朗普"), SAME[-2]]:
        assert keys(a) & keys(b), (a, b)


def test_names_in_one_script_are_unchanged_by_the_cross_script_paths() -> None:
    assert name_similarity("Muhammad Ali", "Muhammad Ali") == 1.0
    assert name_similarity("王小明", "王小明") == 1.0
    assert name_similarity("Jan Novak", "Petr Svoboda") < 0.5


@pytest.mark.parametrize(
    ("a", "b"),
    [*SAME, *DIFFERENT, ("สมชาย ใจดี", "Somchai Jaidee"), ("สมชาย", "Somchai"), ("วนัส", "Anat")],
)
def test_the_explanation_carries_the_same_score(a: str, b: str) -> None:
    assert name_match(a, b).score == name_similarity(a, b)
    assert name_match(b, a).score == name_similarity(b, a)


def test_a_lone_thai_given_name_must_match_its_romanisation_closely() -> None:
    assert name_similarity("สมชาย", "Somchai") >= THRESHOLD
    # a romanisation of another, similar name (สมชัย, Somchai; สมศักดิ์ Somsak)
    assert name_similarity("สมศักดิ์", "Somchai") < THRESHOLD


def test_foreign_names_in_thai_script_are_explained_as_thai() -> None:
    """Thai writes foreign names by sound (โดนัลด์ ทรัมป์, Donald Trump); the explanation
    names the script it read, not the abjad path it shares."""
    match = name_match("Barack Obama", "บารัก โอบามา")
    assert match.score >= THRESHOLD
    assert match.method == "Thai script (sound classes)", match.explain()
    assert name_similarity("Donald Trump", "โดนัลด์ ทรัมป์") >= THRESHOLD
    assert name_similarity("Donald Trump", "โดนัลด์ รัมสเฟลด์") < THRESHOLD  # Rumsfeld
    assert name_match("David Jones", "دیوید جونز").method == "Arabic script (sound classes)"


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Kassym-Jomart Tokayev", "Қасым-Жомарт Тоқаев"),  # Kazakh letters қ, ж
        ("Sadyr Japarov", "Садыр Жапаров"),  # Kyrgyz ж as j
        ("Aleksandar Vučić", "Александар Вучић"),  # Serbian ћ as ć
        ("Novak Djokovic", "Новак Ђоковић"),  # Serbian ђ as dj
        ("Luvsannamsrain Oyun-Erdene", "Лувсаннамсрайн Оюун-Эрдэнэ"),  # Mongolian
    ],
)
def test_other_national_cyrillic_spellings_match(latin: str, cyrillic: str) -> None:
    """Kazakh, Kyrgyz, Serbian and Mongolian names through ICU (ADR 0009: their own ICU
    tables were measured and not added); the passport spellings still match."""
    assert name_similarity(latin, cyrillic) >= THRESHOLD, name_match(latin, cyrillic).explain()
