"""Thai sound keys: one symbol per sound, so homophone letters and spellings agree.

Thai writes one sound with several letters, inherited from Sanskrit and Pali spellings
(Royal Institute, *Principles of Romanization for Thai Script by Transcription Method*,
1999, the RTGS): ท ธ ฑ ฒ ถ ฐ are all "th", ส ศ ษ ซ "s", ข ฃ ค ฅ ฆ "kh", พ ภ ผ "ph",
น ณ "n", ล ฬ "l", ต ฏ "t", ด ฎ "d", ย ญ "y", ช ฉ ฌ "ch". At the end of a syllable only
eight sounds remain: k, t, p, n, m, ng and the glides w, y (ศ ส ด ท จ ช final are all "t",
ร ล ญ ณ final are all "n"). Two Thai spellings of one name may therefore differ in letters
(สหรัถ / สหรัฐ, both Saharat) and so do passport spellings of one Thai name, which follow
habits of their own rather than the RTGS: Chai / Jai for จ, Porn / Phon / Pon for พร,
Sak / Sakdi for ศักดิ์ (the silent ดิ์ written), Wong / Vong for ว, Prasert / Prasoet for เ-อ,
Naruebes / Naruebet for a final ศ, Petch / Phet for a final ช.

`thai_word_keys` reads a Thai word into such keys (through every spelling
`names.thai_spellings` gives, whose RTGS rules already put each letter class and each
final in one symbol); `latin_key` folds a Latin spelling, RTGS or passport, into the same
symbols. Equal keys say two spellings sound the same; they are a level below "spelled the
same" (ADR 0016, ADR 0030), used for Thai–Latin and Thai–Thai pairs only.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Passport and RTGS spellings of one sound, in order (longest first where they overlap).
SPELLINGS = (
    ("tch", "ch"),  # Petch: a final ช written tch
    ("ph", "p"),  # aspirates: Supaporn, Kampaeng, Teerarat
    ("th", "t"),
    ("kh", "k"),
    ("dh", "t"),  # Siddhi: Sanskrit spelling of ธ
    ("bh", "p"),
    ("j", "ch"),  # จ: Jai / Chai
    ("v", "w"),  # ว: Vong / Wong
    ("z", "s"),
    ("q", "k"),
    ("ee", "i"),  # long vowels written twice: Boonmee, Suree
    ("oo", "u"),
    ("ou", "u"),
    ("eu", "ue"),  # ึ ื: Reungrit / Ruengrit
    ("ea", "ae"),  # แ: Keaw / Kaew
    ("oe", "e"),  # เ-อ: Prasoet (RTGS) / Prasert (passports, r dropped below)
)
# An r after a vowel writes a long vowel, not a sound: Porn, Karn, Prasert, Arthit.
VOWEL_R = re.compile(r"(?<=[aeiou])r(?=[^aeiou]|$)")
# A Latin word ending in a syllable Thai leaves silent (ดิ์ ธิ์ ทิ์ under a thanthakhat,
# ฒิ ธิ in Pali words) that passports write out: Sakdi, Sitthi, Wutthi.
SILENT_FINAL = re.compile(r"(?<=[^aeiou])(?:dh?|th)i$")
# Syllable-final consonants and what the RTGS writes for them.
FINALS = {"s": "t", "d": "t", "ch": "t", "c": "t", "l": "n", "r": "n", "b": "p", "f": "p"}
FINAL = re.compile(r"(?<=[aeiou])(ch|ng|[bcdfgklmnprst])(?![aeiou])")
DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def latin_key(spelling: str) -> str:
    """A Latin spelling of a Thai word folded to its sounds: aspirated and plain stops
    one symbol (passports drop the h), j = ch, v = w, long vowels written twice as one,
    r after a vowel dropped, and every syllable-final consonant in the RTGS's final
    class (s, d, ch -> t; l, r -> n; b, f -> p; g -> k), doubled letters once."""
    key = re.sub(r"[^a-z]", "", spelling.lower())
    key = re.sub(r"tr$", "t", key)  # Tanomjitr: a final ตร is "t"
    key = VOWEL_R.sub("", key)
    for written, sound in SPELLINGS:
        key = key.replace(written, sound)
    key = re.sub(r"g(?<!ng)", "k", key)  # a g outside ng is ก (Gittipong)
    key = FINAL.sub(lambda m: FINALS.get(m.group(1), m.group(1)), key)
    return DOUBLED.sub(r"\1", key)


def latin_keys(spelling: str) -> tuple[str, ...]:
    """`latin_key` of the spelling and, when it ends in a syllable Thai leaves silent
    (Sakdi, Sitthi), of the spelling without it (sak, sit)."""
    out = [latin_key(spelling)]
    shorter = SILENT_FINAL.sub("", spelling)
    if shorter != spelling and len(shorter) >= 2:
        out.append(latin_key(shorter))
    return tuple(dict.fromkeys(out))


def thai_word_keys(spellings: tuple[str, ...]) -> frozenset[str]:
    """The keys of a Thai word from its Latin spellings (`names.thai_spellings`: the
    model's, the RTGS rules' with their letter classes and finals, passport habits)."""
    return frozenset(latin_key(s) for s in spellings if s)


# Chinese names written in Thai script (สี จิ้นผิง, Xi Jinping) follow the Mandarin sounds,
# not the pinyin letters: Thai writes the unaspirated b, d, g as ป ต ก (p, t, k), the
# affricates j, zh, z as จ and q, ch, c as ช ฉ (all "ch"), x and sh as ส ซ (s), the
# apical vowel of zi, ci, si, zhi, chi, shi, ri as อือ (ue), uo as -ัว (ua), ie as เ-ีย (ia).
PINYIN_APICAL = re.compile(r"(zh|ch|sh|[zcsr])i(?![aeioun])")
PINYIN_INITIALS = re.compile(r"zh|ch|sh|[zcjqx]|[bdg](?=[aeiou])")
PINYIN_THAI = {"zh": "ch", "ch": "ch", "sh": "s", "z": "ch", "c": "ch", "j": "ch", "q": "ch",
               "x": "s", "b": "p", "d": "t", "g": "k"}  # fmt: skip


@lru_cache(maxsize=200_000)
def pinyin_key(spelling: str) -> str:
    """A Latin spelling read as pinyin and folded as Thai script writes those sounds
    (xi -> si, zedong -> chetong, qiang -> chiang), then `latin_key`. Pinyin spells
    sounds with letters Thai passports use otherwise (x, q, z, c; b, d, g for the
    unaspirated stops), so `latin_key` alone misses a Chinese name written in Thai."""
    key = re.sub(r"[^a-z]", "", spelling.lower())
    key = PINYIN_APICAL.sub(r"\1ue", key).replace("uo", "ua").replace("ie", "ia")
    return latin_key(PINYIN_INITIALS.sub(lambda m: PINYIN_THAI[m.group(0)], key))


def keys_agree(latin: str, spellings: tuple[str, ...]) -> bool:
    """Whether a Latin spelling sounds like one of a Thai word's spellings, read as a
    Thai name's spelling or as pinyin (a Chinese name written in Thai, ADR 0053)."""
    return bool({*latin_keys(latin), pinyin_key(latin)} & thai_word_keys(spellings))
