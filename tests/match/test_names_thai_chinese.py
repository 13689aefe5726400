"""Chinese names written in Thai script, and kunyas glued to their names (issue 14;
ADR 0053, amendment 2026-11-30).

Thai writes a Chinese name by its Mandarin sounds: the unaspirated b, d, g as ป ต ก, the
affricates j, zh, z as จ and q, ch, c as ช ฉ, x and sh as ส ซ (the Royal Institute's
transcription of Chinese, as Thai newspapers print leaders' names). The examples are
public names of Chinese leaders, not rows of any benchmark file; each rule has names it
must find and names it must keep apart."""

from __future__ import annotations

import pytest

from palermo.match.names import name_parts, name_similarity, thai_spellings, tokens
from palermo.match.names_thai import rule_variants
from palermo.match.names_thai_key import keys_agree, pinyin_key

THRESHOLD = 0.7  # the documented screening default
SAME_PERSON = 0.9


@pytest.mark.parametrize(
    ("thai", "latin"),
    [
        ("สี จิ้นผิง", "Xi Jinping"),  # x = ส, j = จ, p = ผ: 0.0 before
        ("หู จิ่นเทา", "Hu Jintao"),
        ("เหมา เจ๋อตง", "Mao Zedong"),  # z = จ, d = ต; เหมา has a silent ห
        ("เติ้ง เสี่ยวผิง", "Deng Xiaoping"),
        ("เจียง เจ๋อหมิน", "Jiang Zemin"),
    ],
)
def test_a_chinese_name_in_thai_script_matches_its_pinyin(thai: str, latin: str) -> None:
    assert name_similarity(thai, latin) >= SAME_PERSON
    assert name_similarity(latin, thai) == name_similarity(thai, latin)


@pytest.mark.parametrize(
    ("thai", "latin"),
    [
        ("สี จิ้นผิง", "Xi Mingze"),  # his daughter: the same family name
        ("สี จิ้นผิง", "Xi Zhongxun"),  # his father
        ("สี จิ้นผิง", "Li Keqiang"),
        ("เหมา เจ๋อตง", "Mao Anying"),  # his son
        ("เติ้ง เสี่ยวผิง", "Deng Pufang"),
        ("หู จิ่นเทา", "Hu Yaobang"),
        ("หู จิ่นเทา", "Wen Jiabao"),
    ],
)
def test_a_shared_family_name_alone_is_not_a_hit(thai: str, latin: str) -> None:
    assert name_similarity(thai, latin) < THRESHOLD


@pytest.mark.parametrize(
    ("latin", "thai"),
    [("xi", "สี"), ("jinping", "จิ้นผิง"), ("zedong", "เจ๋อตง"), ("keqiang", "เค่อเฉียง")],
)
def test_pinyin_letters_read_as_thai_writes_their_sounds(latin: str, thai: str) -> None:
    assert keys_agree(latin, thai_spellings(thai))


def test_pinyin_key_rules() -> None:
    assert pinyin_key("xi") == "si"  # x: ส
    assert pinyin_key("zedong") == pinyin_key("chetong")  # z: จ, d: ต
    assert pinyin_key("ziyang").startswith("chue")  # the apical vowel of zi: อือ
    assert pinyin_key("guo") == "kua"  # g: ก, uo: -ัว


def test_pinyin_letters_do_not_join_different_thai_sounds() -> None:
    """The pinyin reading adds a key; the Thai one stays: ส is not จ, ผ is not ม."""
    assert not keys_agree("xi", thai_spellings("จี"))
    assert not keys_agree("jinping", thai_spellings("จิ้นหมิง"))


def test_a_silent_leading_ho_is_read_without_it() -> None:
    """ห before a sonorant after a vowel written first (เหมา, แหวน) only marks the tone:
    pythainlp's rules read เหมา as "ema" and its model as "me"."""
    assert "mao" in thai_spellings("เหมา")
    assert "waen" in rule_variants("แหวน", "aeon")
    assert rule_variants("สหรัฐ", "saharat") == ()  # ห spoken here: no vowel before it


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        ("Abubakr", "Abu Bakr"),
        ("Abubakar Shekau", "Abu Bakar Shekau"),  # 0.74 before: abu dropped on one side
        ("Abubakr al-Baghdadi", "Abu Bakr al-Baghdadi"),
    ],
)
def test_a_glued_kunya_has_the_parts_of_the_spaced_one(glued: str, spaced: str) -> None:
    assert tokens(glued) == tokens(spaced)
    assert name_similarity(glued, spaced) == 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [("Abdulrahman", "Abdul Rahman"), ("Abdelkader Ali", "Abdel Kader Ali"),
     ("Ummkulthum", "Umm Kulthum")],
)  # fmt: skip
def test_theophoric_and_umm_compounds_already_compare_glued(a: str, b: str) -> None:
    assert name_similarity(a, b) == 1.0


def test_a_kunya_is_only_cut_before_a_name() -> None:
    assert tokens("Aburto Lopez") == ["aburto", "lopez"]  # a Spanish surname
    assert tokens("Abulhassan Ali") == ["abulhassan", "ali"]  # Abu al-: not cut here
    # the search index reads words alone and keeps its stored terms
    assert name_parts("Abubakr", lone_word=True) == ("abubakr",)


def test_a_kept_kunya_is_compared_with_the_other_names_kunya() -> None:
    """ "Abu Bakr" keeps its abu (one other part); "Abu Bakr al-Baghdadi" drops it. Each
    is compared with abu kept: one part missing, not abu against baghdadi (0.24)."""
    assert name_similarity("Abubakr", "Abu Bakr al-Baghdadi") >= 0.85
    assert name_similarity("Abu Bakr", "Abu Bakr al-Baghdadi") >= 0.85
    assert name_similarity("Abu Bakr", "Abu Hamza al-Masri") < THRESHOLD
    assert name_similarity("Abu Bakr", "Bakr Hassan") < THRESHOLD


def test_kept_particles_do_not_undo_the_particle_rule() -> None:
    """Only a particle one name kept comes back in the other: Le Van Thanh and Tran Van
    Thanh still compare le with tran (ADR 0053, Particles)."""
    assert name_similarity("Le Van Thanh", "Tran Van Thanh") < THRESHOLD
    assert name_similarity("Le Thanh", "Nguyen Van Thanh") < THRESHOLD
