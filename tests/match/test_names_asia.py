"""Thai spelling rules, Korean and Japanese romanisations (ADR 0016).

Names are public figures' or common given names as widely published, not rows of any
benchmark file; each rule has examples it must find and names it must keep apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.match.names import keys, name_match, name_similarity
from palermo.match.names_hangul import hangul_forms, hangul_readings, syllable_spellings
from palermo.match.names_kana import has_kana, japanese_forms
from palermo.match.names_thai import (
    inherent_vowel,
    linking_variants,
    thai_fold,
    without_silent_final,
)

THRESHOLD = 0.7  # the documented screening default


# --- Thai -------------------------------------------------------------------------------


def test_inherent_vowel_goes_between_consonants_thai_does_not_cluster() -> None:
    assert inherent_vowel("sran") == "saran"  # ศรัญ
    assert inherent_vowel("srawut") == "sarawut"
    assert inherent_vowel("thnon") == "thanon"  # digraph th stays one consonant
    # real Thai clusters keep their shape
    assert inherent_vowel("prasoet") == "prasoet"
    assert inherent_vowel("khrueafa") == "khrueafa"
    assert inherent_vowel("somchai") == "somchai"


def test_silent_final_vowel_of_pali_sanskrit_words() -> None:
    assert without_silent_final("วุฒิ") == "วุฒ"
    assert without_silent_final("ชาติ") == "ชาต"
    assert without_silent_final("สมบัติ") == "สมบัต"
    assert without_silent_final("มณี") == "มณี"  # a long final vowel is pronounced
    assert without_silent_final("ปิติ") == "ปิต"


def test_linking_syllable_written_by_doubling() -> None:
    assert "ekchai" in linking_variants("ekkachai")  # เอกชัย
    assert "witya" in linking_variants("witchaya")
    assert "sakrin" in linking_variants("sakkarin")  # ศักรินทร์
    assert linking_variants("somchai") == ()
    assert linking_variants("anna") == ()  # no consonant after the "a"


def test_thai_informal_spelling_fold() -> None:
    assert thai_fold("porntip") == thai_fold("phonthip")  # พรทิพย์
    assert thai_fold("sasikarn") == thai_fold("sasikan")
    assert thai_fold("jirapa") == thai_fold("chirapha")  # จ: j or ch
    assert thai_fold("tanomjitr") == thai_fold("thanomchit")
    assert thai_fold("suree") == thai_fold("suri")
    # different names stay different
    assert thai_fold("wanat") != thai_fold("anat")
    assert thai_fold("sombat") != thai_fold("sombun")


THAI_SAME = [
    ("เอกชัย", "Ekkachai"),  # linking syllable
    ("ศรัญ", "Saran"),  # inherent vowel
    ("พรทิพย์", "Porntip"),  # porn / phon, aspirates
    ("ประเสริฐ", "Prasert"),
    ("สมบัติ", "Sombat"),
    ("จิราพร", "Jiraporn"),
]
THAI_DIFFERENT = [
    ("วนัส", "Anat"),  # a letter off in a lone given name: another name
    ("สมบัติ", "Sombun"),
    ("จิราพร", "Chiraphat"),
    ("ศรัญ", "Aran"),
]


@pytest.mark.parametrize(("thai", "latin"), THAI_SAME)
def test_lone_thai_given_name_in_common_spellings(thai: str, latin: str) -> None:
    assert name_similarity(thai, latin) >= THRESHOLD, name_match(thai, latin).explain()


@pytest.mark.parametrize(("thai", "latin"), THAI_DIFFERENT)
def test_lone_thai_given_names_a_letter_apart_differ(thai: str, latin: str) -> None:
    assert name_similarity(thai, latin) < THRESHOLD, name_match(thai, latin).explain()


# --- romanisation fold chains -----------------------------------------------------------


def test_affricate_and_glide_do_not_chain() -> None:
    from palermo.match.names import token_similarity

    assert token_similarity("chong", "jong") == 1.0  # Korean ㅈ: McCune-Reischauer / RR
    assert token_similarity("juri", "yuri") == 1.0  # Estonian / English glide
    assert token_similarity("chong", "yong") < 0.9  # not the same sound
    assert token_similarity("choi", "yoi") < 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohamed", "Muhammad"),
        ("Yousef", "Yusuf"),
        ("Mohammed Yousef", "Muhammad Yusuf"),
        ("حسين", "Hussein"),
        ("سعيد", "Saeed"),
        ("موسى", "Musa"),
    ],
)
def test_short_vowels_of_abjad_names_vary(a: str, b: str) -> None:
    assert name_similarity(a, b) >= THRESHOLD, name_match(a, b).explain()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("حسين محمدي", "Ahmad Mahmood Hassan"),  # ي and و where the Latin has a
        ("حسين", "Hassan"),
        ("سعيد", "Saad"),
    ],
)
def test_long_vowels_must_line_up(a: str, b: str) -> None:
    assert name_similarity(a, b) < THRESHOLD, name_match(a, b).explain()


# --- Korean -----------------------------------------------------------------------------


def test_syllable_in_each_system() -> None:
    spellings = dict(syllable_spellings("정", surname=False))
    assert spellings["jeong"] == "Revised Romanisation"
    assert spellings["chong"] == "McCune-Reischauer"
    assert spellings["jong"] == "North Korean"
    assert spellings["jung"] == "Korean passport"
    assert "lee" in dict(syllable_spellings("이", surname=True))
    assert "lee" not in dict(syllable_spellings("이", surname=False))  # 이 in a given name
    assert [s for s, _ in syllable_spellings("박", surname=True)][:2] == ["park", "pak"]


def test_family_name_is_found_in_both_orders() -> None:
    family, *given = hangul_readings("김정은")
    assert dict(family)["kim"] == "Korean surname"
    assert all("Korean surname" not in dict(s).values() for s in given)
    assert ("kim", "jeongeun") in [form for _, form in hangul_forms("김정은")]
    assert ("jeongeun", "kim") in [form for _, form in hangul_forms("정은 김")]


KOREAN_SAME = [
    ("Kim Jong Un", "김정은"),  # North Korean system
    ("Ri Yong Ho", "리영호"),
    ("Choe Ryong Hae", "최룡해"),
    ("Pak Pong Ju", "박봉주"),
    ("Lee Myung-bak", "이명박"),  # passport habits
    ("Park Geun-hye", "박근혜"),  # Revised Romanisation given name
    ("Moon Jae-in", "문재인"),
    ("Roh Moo-hyun", "노무현"),
    ("Ban Ki-moon", "반기문"),
    ("Chung Ju-yung", "정주영"),
    ("Jongun Kim", "김정은"),  # given name glued, family name last
]
KOREAN_DIFFERENT = [
    ("Kim Jong Un", "김정일"),  # Kim Jong Il
    ("Kim Jong Un", "이정은"),
    ("Park Geun-hye", "박정희"),  # her father
    ("Moon Jae-in", "문재명"),
]


@pytest.mark.parametrize(("latin", "korean"), KOREAN_SAME)
def test_korean_name_in_any_romanisation(latin: str, korean: str) -> None:
    assert name_similarity(latin, korean) >= 0.9, name_match(latin, korean).explain()
    assert name_similarity(korean, latin) == name_similarity(latin, korean)


@pytest.mark.parametrize(("latin", "korean"), KOREAN_DIFFERENT)
def test_korean_names_sharing_syllables_differ(latin: str, korean: str) -> None:
    assert name_similarity(latin, korean) < THRESHOLD, name_match(latin, korean).explain()


def test_korean_explanation_names_system_and_parts() -> None:
    found = name_match("Kim Jong Un", "김정은")
    assert found.method.startswith("Korean readings")
    assert "North Korean" in found.method or "McCune-Reischauer" in found.method
    assert [(a, b) for a, b, _ in found.pairs] == [("kim", "kim"), ("jong", "jong"), ("un", "un")]
    flipped = name_match("김정은", "Kim Jong Un")
    assert flipped.pairs == tuple((b, a, s) for a, b, s in found.pairs)


def test_korean_blocking_keys_reach_every_system() -> None:
    hangul = keys("박봉주")
    for latin in ("Pak Pong Ju", "Park Bong-ju"):
        assert hangul & keys(latin), latin


# --- Japanese ---------------------------------------------------------------------------


def test_japanese_forms_cover_systems_and_long_vowels() -> None:
    forms = dict((text, system) for system, text in japanese_forms("さとう しんじ"))
    assert forms["satou shinji"] == "Hepburn"
    assert "satou sinzi" in forms  # Kunrei
    assert "sato shinji" in forms  # the passport drops long vowels
    assert "satoh shinji" in forms
    assert has_kana("高橋 あすか") and not has_kana("高橋")


JAPANESE_SAME = [
    ("Sato Shinji", "さとう しんじ"),
    ("Satoh Shinji", "さとう しんじ"),
    ("Satou Sinzi", "さとう しんじ"),  # Kunrei
    ("Ono Yoko", "おの ようこ"),
    ("Takahashi Asuka", "高橋 あすか"),  # kanji with kana: Japanese readings
    ("Shinzo Abe", "安倍晋三"),  # kanji only: the Japanese reading is compared too
    ("Yamada Taro", "山田太郎"),
    ("Tanaka Kakuei", "田中角栄"),
]
JAPANESE_DIFFERENT = [
    ("Sato Shinji", "さとう ひろし"),
    ("Tanaka Hiroshi", "田中 和也"),
    ("Takahashi Asuka", "高橋 あゆみ"),
]


@pytest.mark.parametrize(("latin", "japanese"), JAPANESE_SAME)
def test_japanese_name_in_any_romanisation(latin: str, japanese: str) -> None:
    assert name_similarity(latin, japanese) >= 0.9, name_match(latin, japanese).explain()


@pytest.mark.parametrize(("latin", "japanese"), JAPANESE_DIFFERENT)
def test_japanese_names_sharing_a_part_differ(latin: str, japanese: str) -> None:
    assert name_similarity(latin, japanese) < THRESHOLD, name_match(latin, japanese).explain()


def test_chinese_names_keep_chinese_readings() -> None:
    assert name_similarity("Xi Jinping", "习近平") >= 0.9
    assert not name_match("Xi Jinping", "习近平").method.startswith("Japanese")


# --- any input ---------------------------------------------------------------------------

LATIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -'", min_size=0, max_size=20)
HANGUL_NAMES = st.text(
    alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=4
)
KANA_NAMES = st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3093), max_size=6)
THAI_NAMES = st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E4E), max_size=8)


@settings(max_examples=60, deadline=None)
@given(latin=LATIN, other=st.one_of(HANGUL_NAMES, KANA_NAMES, THAI_NAMES))
def test_any_name_scores_in_range_and_symmetric(latin: str, other: str) -> None:
    score = name_similarity(latin, other)
    assert 0.0 <= score <= 1.0
    assert name_similarity(other, latin) == score
    assert 0.0 <= name_match(latin, other).score <= 1.0
