"""Thai sound keys: homophone letters and passport spellings (ADR 0030).

Examples are the Royal Institute's RTGS tables (letters of one sound class, final
consonants) and common Thai name words as passports write them, not rows of any
benchmark file; each rule has names it must find and names it must keep apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.match.names import name_match, name_similarity, thai_spellings
from palermo.match.names_thai_key import keys_agree, latin_key, latin_keys, thai_word_keys

THRESHOLD = 0.7  # the documented screening default


def _keys(word: str) -> frozenset[str]:
    return thai_word_keys(thai_spellings(word))


# RTGS letter classes: each pair is one sound written with two letters of one class.
HOMOPHONE_WORDS = [
    ("สหรัถ", "สหรัฐ"),  # ถ / ฐ final: both "t" (Saharat)
    ("ศิริ", "สิริ"),  # ศ / ส: "s" (Siri)
    ("ธนา", "ทนา"),  # ธ / ท: "th"
    ("กาญจนา", "กาญจณา"),  # น / ณ: "n"
    ("จุฬา", "จุลา"),  # ฬ / ล: "l" (the RTGS table's example for ฬ is จุฬา chula)
    ("ภักดี", "พักดี"),  # ภ / พ: "ph"
    ("ฆนา", "คนา"),  # ฆ / ค: "kh"
]


@pytest.mark.parametrize(("a", "b"), HOMOPHONE_WORDS)
def test_letters_of_one_sound_class_share_a_key(a: str, b: str) -> None:
    assert _keys(a) & _keys(b), (thai_spellings(a), thai_spellings(b))


def test_different_sounds_keep_different_keys() -> None:
    assert not _keys("สมศักดิ์") & _keys("สมศรี")  # Somsak / Somsri
    assert not _keys("ชาติ") & _keys("จันทร์")  # chat / chan: finals t and n differ
    assert not _keys("บุญ") & _keys("ปุน")  # บ b and ป p are two sounds


def test_finals_collapse_to_the_rtgs_final_classes() -> None:
    # a final s, d, ch or t is "t"; a final l or r is "n"; b or f "p": RTGS finals
    assert latin_key("naruebes") == latin_key("naruebet")  # นฤเบศ, final ศ
    assert latin_key("petch") == latin_key("phet")  # เพชร
    assert latin_key("kamol") == latin_key("kamon")  # กมล
    assert latin_key("sakorn") == latin_key("sakhon")  # สาคร
    # but an initial keeps its sound
    assert latin_key("sakda") != latin_key("takda")
    assert latin_key("lamai") != latin_key("namai")


@pytest.mark.parametrize(
    ("passport", "rtgs"),
    [
        ("jai", "chai"),  # จ
        ("porn", "phon"),  # พร
        ("pon", "phon"),
        ("vong", "wong"),  # วงศ์
        ("prasert", "prasoet"),  # ประเสริฐ
        ("boonmee", "bunmi"),  # บุญมี
        ("reungrit", "ruengrit"),  # เรืองฤทธิ์
        ("keaw", "kaew"),  # แก้ว
        ("theerarat", "thirarat"),  # ธีรรัตน์
    ],
)
def test_passport_habits_fold_to_the_rtgs_key(passport: str, rtgs: str) -> None:
    assert latin_key(passport) == latin_key(rtgs)


def test_silent_syllable_written_out_also_compared_without_it() -> None:
    assert latin_key("sak") in latin_keys("sakdi")  # ศักดิ์: ดิ์ is silent
    assert latin_key("sit") in latin_keys("sitthi")  # สิทธิ์
    assert latin_keys("kitti") == (latin_key("kitti"),)  # กิตติ: both syllables spoken


@pytest.mark.parametrize(
    ("thai", "latin"),
    [
        ("สมศักดิ์", "Somsakdi"),
        ("ใจดี", "Jaidee"),
        ("นฤเบศ", "Naruebes"),  # ADR 0016's known miss: final ศ written s
        ("วงศ์", "Vong"),
        ("เพชร", "Petch"),
    ],
)
def test_thai_word_and_its_passport_spelling_sound_alike(thai: str, latin: str) -> None:
    assert keys_agree(latin.lower(), thai_spellings(thai))
    # in a full name (a family name beside it) that is a match ...
    full = name_similarity(f"{thai} สุขใจ", f"{latin} Sukchai")
    assert full >= THRESHOLD, name_match(f"{thai} สุขใจ", f"{latin} Sukchai").explain()


@pytest.mark.parametrize(
    ("thai", "latin"),
    [
        ("สมศักดิ์", "Somsri"),
        ("วนัส", "Anat"),  # a letter off in a lone given name: another name
        ("จันทร์", "Chat"),  # final n against final t
    ],
)
def test_thai_word_keeps_other_names_apart(thai: str, latin: str) -> None:
    assert not keys_agree(latin.lower(), thai_spellings(thai))
    assert name_similarity(thai, latin) < THRESHOLD, name_match(thai, latin).explain()


def test_lone_given_name_is_not_matched_by_sound_key_alone() -> None:
    """One word cannot carry a match as coarse as a sound key (ADR 0030): the lone-name
    rule of ADR 0016 decides, and it finds the spellings it knew before."""
    assert keys_agree("naruebes", thai_spellings("นฤเบศ"))
    assert name_similarity("นฤเบศ", "Naruebes") < THRESHOLD
    assert name_similarity("สมศักดิ์", "Somsak") >= THRESHOLD


def test_full_names_with_passport_spellings_match() -> None:
    # family name in Sanskrit spelling (วงศ์สวัสดิ์) written as passports do
    assert name_similarity("สมศักดิ์ วงศ์สวัสดิ์", "Somsakdi Vongsawat") >= THRESHOLD
    # แก้ว written Keaw (ea for แ), final ศ ส written s: each part a few letters off,
    # one sound key each; the explanation says the keys decided
    found = name_match("Keaw Vongsawas", "แก้ว วงศ์สวัสดิ์")
    assert found.score == name_similarity("แก้ว วงศ์สวัสดิ์", "Keaw Vongsawas") >= 0.9
    assert found.method.startswith("Thai sound keys"), found.explain()
    assert found.pairs[0][0] == "keaw"  # the caller's first name first


def test_thai_spellings_with_homophone_letters_match() -> None:
    # one person, the given name spelled with ศ in one record and ส in another
    assert name_similarity("ศิริพร วงศ์ใหญ่", "สิริพร วงศ์ใหญ่") >= THRESHOLD
    assert name_similarity("สิริพร วงศ์ใหญ่", "ศิริพร วงศ์ใหญ่") >= THRESHOLD
    # a different given name with the same family name is not the same person
    assert name_similarity("ประเสริฐ วงศ์ใหญ่", "สมศักดิ์ วงศ์ใหญ่") < THRESHOLD


THAI_WORD = st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E4E), max_size=6)
LATIN_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=10)


@settings(max_examples=60, deadline=None)
@given(a=st.lists(THAI_WORD, min_size=1, max_size=3), b=st.lists(LATIN_WORD, max_size=3))
def test_thai_key_level_never_breaks_range_or_symmetry(a: list[str], b: list[str]) -> None:
    thai, latin = " ".join(a), " ".join(b)
    score = name_similarity(thai, latin)
    assert 0.0 <= score <= 1.0
    assert name_similarity(latin, thai) == score
    other = " ".join(reversed(a))
    assert name_similarity(thai, other) == name_similarity(other, thai)
