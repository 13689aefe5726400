"""Names across scripts: transliteration, name parts, phonetic keys and fuzzy scores.

Transliteration uses maintained libraries: ICU through normality/rigour for Cyrillic, Greek,
Arabic, Hebrew, Chinese (pinyin), Devanagari and the rest, and pythainlp's thai2rom model
for Thai (ICU's Thai output follows ISO 11940, which nobody writes on a passport, and the
Royal Thai General System rules misread implicit vowels). On top of that, comparison folds
the spelling habits of different languages (w/v, j/y, kh/h, sch/sh, ee/i, final ff/v) and,
for scripts written without vowels, also compares consonant skeletons
(محمد -> mhmd ~ Mohamed -> mhmd). Rules per writing system live beside this module:
`names_han` (Chinese readings), `names_thai` (Thai spelling rules), `names_hangul` (Korean
romanisations), `names_kana` (Japanese readings) and `names_vowels` (long vowels of abjad
scripts); ADR 0009 and ADR 0016.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import icu  # type: ignore[import-untyped]
from normality import latinize_text
from rapidfuzz.distance import OSA, JaroWinkler
from rigour.text import metaphone

from palermo.match.names_han import (
    abjad_keys,
    char_readings,
    comparison_forms,
    family_name_split,
    han_chars,
    has_han,
    native_readings,
    sound_keys,
    spells_chinese_syllables,
    transcription_pieces,
    transcription_words,
)
from palermo.match.names_han_glued import fitting_parts
from palermo.match.names_han_initials import initials_correspond
from palermo.match.names_hangul import hangul_forms, hangul_readings, has_hangul
from palermo.match.names_kana import has_kana, japanese_forms
from palermo.match.names_thai import lone_name_similarity, rule_variants
from palermo.match.names_thai_key import keys_agree
from palermo.match.names_vowels import abjad_vowels_agree, latin_vowels_agree

PARTICLES = {
    "al",
    "el",
    "bin",
    "ibn",
    "binti",
    "bint",
    "abu",
    "van",
    "der",
    "den",
    "de",
    "von",
    "da",
    "di",
    "du",
    "dos",
    "das",
    "le",
    "la",
    "mc",
    "ben",
    "ould",  # Hassaniya "son of" (Mohamed Ould Abdel Aziz), as bin and ben
}
FOLDS = (
    ("tsch", "ch"),
    ("sch", "sh"),
    ("dzh", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ch", "j"),
    ("ph", "f"),
    ("ue", "u"),
    ("ae", "a"),
    ("oe", "o"),
    ("th", "t"),
    ("dh", "d"),
    ("gh", "g"),
    ("ck", "k"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("x", "ks"),
    ("q", "k"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("c", "k"),
)
# `fold` merges ch, j, y and i in one chain (ch -> j for Korean, Chinese, Thai and Arabic
# affricates; j -> i for the Germanic and Slavic glide): good for blocking, but it makes
# Chong, Jong and Yong one name. Comparison folds twice instead, each breaking the chain at
# one end: j as an affricate (Chong = Jong, not Yong) or as a glide (Jüri = Yuri, not
# Churi); two spellings agree as well as they do in either (ADR 0016).
BASE_FOLDS = tuple(
    (a, "C") if (a, b) == ("ch", "j") else (a, b) for a, b in FOLDS if (a, b) != ("j", "i")
)
VOWELS = set("aeiou")
# The article written into an Arabic word (الحسن, al-Hasan): Latin spellings drop or split it.
ARABIC_ARTICLE = re.compile(r"(?<!\S)\u0627\u0644(?=\S{2,})")
# bin, ibn, bint and Hassaniya ould ("son/daughter of") written apart in Arabic script
# (محمد بن سلمان): particles there as their Latin spellings are in `PARTICLES`.
ARABIC_PARTICLES = re.compile(
    r"(?<!\S)(?:\u0628\u0646|[\u0627\u0625]\u0628\u0646|\u0628\u0646\u062a|\u0648\u0644\u062f)\s+"
)
# Parts other than particles a name must keep for its particles to be dropped (`_parts`).
PARTICLE_KEEPERS = 2
PART_MISSING_MAX = 0.89  # below the "very similar" level of the resolver (0.9)
NOT_BOUNDARIES = re.compile(r"[\u02b9\u02ba\u02be\u02bf]")
NOT_LETTERS = re.compile(r"[^A-Za-z]+")
GENERATIONAL = frozenset(("jr", "sr", "ii", "iii", "iv"))  # suffixes after a name
SPOKEN_VOWELS = re.compile(r"[aeiouy]")
BARE_CONSONANTS = re.compile(r"[b-df-hj-np-tv-xz](?![aeiouy])")  # no vowel follows
VOWEL_W = re.compile(r"(?<=[aeiou])w(?![aeiouy])")  # w after a vowel, not before one
SEPARATED = re.compile(r"[\u4e00-\u9fff][·・•‧\u00b7\u30fb]")
GLUED_DISCOUNT = 0.95  # glued or resplit names: close, a little short of "the same"
GLUED_LENGTH = 0.8  # glued names compare only if the shorter is this share of the longer
SINGLE_THAI_STRICTNESS = 4.0  # see name_similarity
THAI_SOUNDS_ALIKE = 0.95  # a Thai word and a spelling with one sound key (names_thai_key)
ONE_CONSONANT = 0.85  # sound agreement of two words with one consonant each, the same
SOUND_SCALE = 2.0  # see _sound_similarity
INITIAL_MISMATCH = 0.5  # a Latin syllable against a character read with another initial
TRANSCRIPTION_COVERAGE = 0.7  # share of a transcription's score that needs no coverage
SHORT_PART = 4  # parts this short: Jaro-Winkler punishes one typo too hard (sok / sko 0.56)
DOUBLED = re.compile(r"(.)\1+")
ONE_TYPO = 0.9  # a short part one transposition or one letter away from the other
SHORT_VOWELS_ONLY = 0.9  # the same consonants and long vowels, short vowels differ
VOWELS_WORTH_CHECKING = 0.7  # below this two spellings differ in more than vowels
LONG_VOWEL_CONFLICT = 0.75  # Arabic writes a long vowel the Latin spelling lacks (or adds)


THAI = re.compile(r"[\u0e00-\u0e7f]")


def has_thai(text: str) -> bool:
    """Whether any Thai letter is in the text (a compiled regex: checked on every pair)."""
    return THAI.search(text) is not None


@lru_cache(maxsize=100_000)
def romanize_thai(word: str) -> str:
    """A Thai word as Thai people spell it in Latin letters (สมบัติ -> sombat).

    pythainlp's thai2rom model (shipped inside the package, run by onnxruntime; nothing is
    downloaded) learnt from real romanised names; its rule-based RTGS engine reads the
    implicit vowels wrongly (สมบัติ -> samabati). On the world's 129 Thai names 115 came
    out as a spelling agencies use with the model and 69 with the rules
    (tests/match/test_names.py). One Thai word stays one name part (the model sometimes
    answers "thong-in" for ทองอินทร์)."""
    from pythainlp.transliterate import romanize

    from palermo.match.names_thai_model import single_threaded

    single_threaded()  # the model on one thread (ADR 0061)
    return NOT_LETTERS.sub("", str(romanize(word, engine="thai2rom_onnx")))


# How Thai people write their names on passports where the RTGS writes otherwise: p and k
# for the aspirated ph and kh (Supaporn, Kamkaew), er for oe (Prasert), aew for aeo (Kaew).
THAI_PASSPORT_HABITS = (("ph", "p"), ("kh", "k"), ("oe", "er"), ("aeo", "aew"))


def _passport_habits(spelling: str) -> str:
    for rtgs, habit in THAI_PASSPORT_HABITS:
        spelling = spelling.replace(rtgs, habit)
    return spelling


@lru_cache(maxsize=100_000)
def rtgs_spelling(word: str) -> str:
    """A Thai word by the RTGS rules (pythainlp's royin engine): every letter of one sound
    class and every final of one class in one Latin spelling, so two Thai spellings with
    homophone letters (สหรัถ / สหรัฐ) come out alike."""
    from pythainlp.transliterate import romanize

    return NOT_LETTERS.sub("", str(romanize(word, engine="royin"))).lower()


@lru_cache(maxsize=100_000)
def thai_spellings(word: str) -> tuple[str, ...]:
    """The Latin spellings a Thai word is likely written in, the model's first.

    No single romanisation is what every agency writes: the model slips on some words
    (บุญเรือง -> "bunr"), the RTGS rules on others, and passports follow habits neither
    has. Comparing every form and keeping the best finds 123 of the world's 129 Thai names
    in a known spelling, against 115 for the model alone (ADR 0008)."""
    model = romanize_thai(word).lower()
    rules = rtgs_spelling(word)
    extra = rule_variants(word, rules)  # inherent and silent vowels (ADR 0016)
    forms = (model, _passport_habits(rules), _passport_habits(model), *extra)
    return tuple(dict.fromkeys(form for form in forms if form)) or ("",)  # Thai digits, marks


# Latin letters Unicode does not decompose into a base letter and a mark (Turkish ı,
# Danish ø, Polish ł, Serbian đ, German ß, Icelandic þ, ð), spelled as ICU's Latin-ASCII
# spells them. NFKD leaves them whole, so `_latin_text` used to drop them with the other
# non-ASCII letters (Adıvar became "ad var", Łukasz "ukasz", Strauß "strau") in every name
# form, search term, screening key, xref comparison and PPRL encoding. normality's
# `latinize_text` keeps them as they are and its `ascii_text` writes ø as "o/" and ŀ as
# "l?", so the table is ours (ADR 0053, amendments; migration 0021 re-made the stored
# search terms of names that hold one).
UNDECOMPOSED = str.maketrans(
    {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th",
     "ð": "d", "ħ": "h", "ŀ": "l", "ŧ": "t", "ŋ": "ng", "ƒ": "f"}
)  # fmt: skip


NOT_LATIN_WORDS = re.compile(r"[^a-z ]+")


def _latin_text(text: str) -> str:
    if text.isascii():
        # Nothing to transliterate, spell out or decompose: only the last step applies
        # (the same string, ``tests/store/test_bulk_same_rows.py``; 10x faster on a new word)
        return NOT_LATIN_WORDS.sub(" ", text.lower()).strip()
    # ICU writes Cyrillic ь/ъ as primes (Ваньо -> Van'o) and Arabic ع/ء as half rings
    # (اميرعباس -> amyrʿbas): letters or signs inside a word, not word boundaries
    text = NOT_BOUNDARIES.sub("", latinize_text(text) or "").lower()
    # spelled out before NFKD (which splits ŀ into l and a middle dot) and after it (ǿ is
    # ø under an acute): lower case first, so Ł, Ø, ẞ are found as ł, ø, ß
    text = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSED))
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(UNDECOMPOSED)
    return NOT_LATIN_WORDS.sub(" ", text).strip()


@lru_cache(maxsize=1)
def undecomposed_letters() -> str:
    """Every character a name's Latin form holds an `UNDECOMPOSED` letter for: the letters
    themselves in either case, letters built on them (Ǿ), and letters of other scripts ICU
    writes with them (Serbian ђ -> đ, Ossetian ӕ -> æ, Ethiopic ጘ -> ŋa). Thai is left
    out: Thai words are romanised by pythainlp before ICU sees them. These are the names
    whose stored search terms changed when `_latin_text` began spelling the letters out
    (migration 0021). Computed over the Basic Multilingual Plane (about a second), once."""
    keys = tuple(chr(code) for code in UNDECOMPOSED)
    found = []
    for code in range(0x80, 0x10000):
        char = chr(code)
        if not unicodedata.category(char).startswith("L") or has_thai(char):
            continue
        lower = char.lower()
        forms = (lower, unicodedata.normalize("NFKD", lower))
        if not any(key in form for key in keys for form in forms):
            latin = (latinize_text(char) or "").lower()
            forms = (latin, unicodedata.normalize("NFKD", latin))
        if any(key in form for key in keys for form in forms):
            found.append(char)
    return "".join(found)


def _thai_form(name: str, index: int) -> str:
    """The name with each Thai word in its `index`-th spelling (or its last one)."""
    words = []
    for word in name.split():
        spellings = thai_spellings(word) if has_thai(word) else (word,)
        words.append(spellings[min(index, len(spellings) - 1)])
    return " ".join(words)


@lru_cache(maxsize=200_000)
def latinize(name: str) -> str:
    """Lower-case ASCII Latin form of a name written in any script."""
    if has_kana(name):  # Japanese: pykakasi's Hepburn, not ICU's pinyin for the kanji
        return _latin_text(japanese_forms(name)[0][1])
    return _latin_text(_thai_form(name, 0) if has_thai(name) else name)


CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# National romanisations of Cyrillic (ICU's BGN/PCGN tables): ICU's default Cyrillic-Latin
# is ISO 9 (Джо -> Džo, Ян -> Ân), which no passport uses. Mongolian and Serbian tables
# added 0.002 F1 on the real pairs and one more spelling per name to every comparison.
CYRILLIC_SYSTEMS = (
    "Russian-Latin/BGN",
    "Bulgarian-Latin/BGN",
    "Ukrainian-Latin/BGN",
)
SIGNS = re.compile(r"[\u02b9\u02ba\u2019'`\u00b7\u02bc\u2032\u2033]")  # soft/hard signs


def has_cyrillic(text: str) -> bool:
    return CYRILLIC.search(text) is not None


@lru_cache(maxsize=16)
def _transliterator(system: str) -> icu.Transliterator:
    return icu.Transliterator.createInstance(system)


@lru_cache(maxsize=100_000)
def cyrillic_forms(name: str) -> tuple[str, ...]:
    """A Cyrillic name in the national systems (Ян -> yan, Джо -> dzho, Ваньо -> vano)."""
    forms = (
        # letters a system lacks (Ъ in Ukrainian) still go through ICU's default, and the
        # signs it writes for ь/ъ go, so no word falls apart (Ваньо -> vano, not van o)
        _latin_text(SIGNS.sub("", latinize_text(_transliterator(system).transliterate(name)) or ""))
        for system in CYRILLIC_SYSTEMS
    )
    return tuple(dict.fromkeys((*forms, _latin_text(bulgarian_official(name)))))


BULGARIAN_OFFICIAL = (("ъ", "а"), ("Ъ", "А"), ("ьо", "йо"), ("ЬО", "ЙО"))


def bulgarian_official(name: str) -> str:
    """Bulgaria's official (2009 Transliteration Act) system: ъ -> a, ьо -> yo, щ -> sht
    (Димитър -> Dimitar), through ICU's Bulgarian table for the rest."""
    for cyrillic, replacement in BULGARIAN_OFFICIAL:
        name = name.replace(cyrillic, replacement)
    latin = _transliterator("Bulgarian-Latin/BGN").transliterate(name)
    return SIGNS.sub("", latinize_text(latin) or "")


@lru_cache(maxsize=200_000)
def latin_forms(name: str) -> tuple[str, ...]:
    """Every Latin form worth comparing, `latinize`'s first: one for most scripts, up to
    three for Thai (`thai_spellings`), the national systems for Cyrillic."""
    if has_cyrillic(name):
        return tuple(dict.fromkeys((latinize(name), *cyrillic_forms(name))))
    if has_kana(name):
        return tuple(dict.fromkeys(_latin_text(text) for _, text in japanese_forms(name)))
    if not has_thai(name):
        return (latinize(name),)
    count = max(len(thai_spellings(word)) for word in name.split() if has_thai(word))
    others = (_latin_text(_thai_form(name, i)) for i in range(1, count))
    return tuple(dict.fromkeys((latinize(name), *others)))


def tokens(name: str) -> list[str]:
    """Name parts, particles dropped where two other parts remain (`_parts`); 'Ali
    Al-Hassan' and 'Ali Alhassan' both give 'ali', 'hassan'."""
    return list(name_parts(name))


@lru_cache(maxsize=2_000_000)  # screening: every indexed name stays split (a million persons)
def name_parts(name: str, lone_word: bool = False) -> tuple[str, ...]:
    """`tokens` as a tuple, cached. ``lone_word``: ``name`` is one word of a name taken
    on its own (the search index, word by word): its particles are always dropped, since
    the other parts that decide whether to drop them (`_parts`) are not in view."""
    return _parts(latinize(_without_arabic_particles(name)), lone_word)


def _without_arabic_particles(name: str) -> str:
    """The article written into an Arabic word and the patronymic particles written apart
    taken out before transliteration, where they would become words (mhmd bn slman). The
    particles go, as their Latin spellings do (`_parts`), only when `PARTICLE_KEEPERS`
    other words remain: بن کاردین is Ben Cardin, whose Latin "ben" stays."""
    name = ARABIC_ARTICLE.sub("", name)
    rest = ARABIC_PARTICLES.sub("", name)
    return rest if len(rest.split()) >= PARTICLE_KEEPERS else name


@lru_cache(maxsize=200_000)
def name_forms(name: str, lone_word: bool = False) -> tuple[tuple[str, ...], ...]:
    """`name_parts` of every Latin form of a name (`latin_forms`), `name_parts` first
    (``lone_word`` as there)."""
    others = latin_forms(_without_arabic_particles(name))[1:]
    return (name_parts(name, lone_word), *(_parts(form, lone_word) for form in others))


def _parts(
    latin: str, lone_word: bool = False, keep: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """Name parts of a Latin form: particles dropped, a glued Arabic article cut off.

    A particle is dropped only when at least `PARTICLE_KEEPERS` other parts remain: the
    particles are also Vietnamese and Chinese syllables (Lê, Văn, Đa, Bin), and dropping
    them from "Le Van Thanh" or "Li Da" left one part ("thanh", "li") that matched every
    name holding it (ADR 0053, amendment 2026-11-30, Particles). "Ludwig van Beethoven",
    "Tran Van Thanh" and "Osama bin Laden" keep two parts without them and still drop them.
    ``lone_word``: always dropped (`name_parts`). Particles in ``keep`` are never dropped
    (`_kept_particles_similarity`). A kunya glued to its name (Abubakr) is cut as it is
    written apart (`_unglued_kunya`), so the particle rule treats both spellings alike;
    not for a ``lone_word``, whose parts are the search index's stored terms.
    """
    split = latin.split()
    if not lone_word:  # the search index's terms stay as stored (no migration)
        split = [piece for token in split for piece in _unglued_kunya(token)]
    drop = lone_word or sum(token not in PARTICLES for token in split) >= PARTICLE_KEEPERS
    out = []
    for token in split:
        if drop and token in PARTICLES and token not in keep:
            continue
        if len(token) > 5 and token[:2] in ("al", "el") and token[2] not in VOWELS:
            token = token[2:]
        out.append(token)
    return tuple(out)


KUNYA = "abu"  # "father of": a particle (`PARTICLES`) that people also glue to the name
KUNYA_NAME = 4  # letters the rest needs to be a name (Abubakr, Abuzaid; not Aburto)


def _unglued_kunya(token: str) -> tuple[str, ...]:
    """A kunya glued to the name it precedes cut off (abubakr -> abu, bakr), as it is
    written apart: "Abu" is a particle (`PARTICLES`), so the glued and the spaced form
    must come out as the same parts for the particle rule to treat them alike (ADR 0053,
    amendment 2026-11-30). Only before a consonant and a name of `KUNYA_NAME` letters or
    more: "Abul" is Abu al-, and Aburto is a Spanish surname. The theophoric "Abd"
    compounds (Abdulrahman / Abdul Rahman) need no cut: neither half is a particle, so
    both spellings keep every letter and the glued comparison in `parts_similarity`
    finds them."""
    rest = token[len(KUNYA) :]
    if token.startswith(KUNYA) and len(rest) >= KUNYA_NAME and rest[0] not in VOWELS | {"l"}:
        return (KUNYA, rest)
    return (token,)


def _particle_forms(name: str, keep: frozenset[str]) -> tuple[str, ...]:
    """`name_parts` with the particles in ``keep`` kept however many parts remain."""
    if not keep:
        return name_parts(name)
    return _parts(latinize(_without_arabic_particles(name)), keep=keep)


def _kept_particles_similarity(a: str, b: str) -> float:
    """`parts_similarity` with a particle one name had to keep (fewer than
    `PARTICLE_KEEPERS` other parts: Abu Bakr) kept in the other name too (Abu Bakr
    al-Baghdadi drops it): like compared with like, never one name's particle against
    the other's name part. 0.0 when both keep the same particles (nothing to redo). Only
    particles kept on one side come back on the other, so "Le Van Thanh" against "Tran
    Van Thanh" compares le with tran and stays apart (ADR 0053, amendment 2026-11-30)."""
    pa, pb = name_parts(a), name_parts(b)
    kept_a, kept_b = PARTICLES.intersection(pa), PARTICLES.intersection(pb)
    if kept_a == kept_b:
        return 0.0
    forms_a = _particle_forms(a, frozenset(kept_b - kept_a))
    forms_b = _particle_forms(b, frozenset(kept_a - kept_b))
    if (forms_a, forms_b) == (pa, pb):
        return 0.0
    return parts_similarity(forms_a, forms_b)


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Spelling habits of many languages folded to one form (blocking keys, skeletons)."""
    return _finish(_base_fold(token).replace("C", "j").replace("j", "i"))


@lru_cache(maxsize=200_000)
def compare_folds(token: str) -> tuple[str, str]:
    """The token folded with j as an affricate (ch = j) and with j as a glide (j = y = i;
    ch apart): see `BASE_FOLDS`."""
    base = _base_fold(token)
    return _finish(base.replace("C", "j")), _finish(base.replace("j", "i"))


@lru_cache(maxsize=200_000)
def _base_fold(token: str) -> str:
    """`FOLDS` with ch kept apart (C) and j left as it is: `fold` and `compare_folds`
    each finish it their way."""
    for a, b in BASE_FOLDS:
        token = token.replace(a, b)
    return token


def _finish(token: str) -> str:
    token = DOUBLED.sub(r"\1", token)
    return token[:-1] + "v" if token.endswith("f") and len(token) > 3 else token


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonants only: how abjad scripts (Arabic, Hebrew) write names."""
    return re.sub(r"(.)\1+", r"\1", "".join(c for c in fold(token) if c not in VOWELS))


def keys(name: str) -> set[str]:
    """Phonetic keys of the name parts, for blocking candidates before scoring: of every
    Latin form (Cyrillic national systems, Thai spellings), of every reading of Chinese
    characters, and the sound classes that cross-script comparison uses ("k:"), so a
    name shares a key with each spelling that `name_similarity` can find."""
    return set(_keys(name))


@lru_cache(maxsize=200_000)
def _keys(name: str) -> frozenset[str]:
    out: set[str] = set()
    for form in name_forms(name):
        for token in form:
            _token_keys(token, out)
            if len(token) >= 2:
                out.update("k:" + k for k in sound_keys(token, pinyin=False) if len(k) >= 3)
    if has_han(name):
        for _, text in japanese_forms(name):
            for token in _parts(_latin_text(text)):
                _token_keys(token, out)
        for options in native_readings(name):
            for spelling, _ in options:
                _token_keys(spelling, out)
        for word in transcription_words(name):
            out.update("k:" + k for k in sound_keys(word, pinyin=True) if len(k) >= 3)
    if has_hangul(name):
        for options in hangul_readings(name):
            for spelling, _ in options:
                _token_keys(spelling, out)
        for _, form in hangul_forms(name):
            for token in form:
                _token_keys(token, out)
    if has_arabic(name):
        for token in name_parts(name):
            out.update("k:" + k for k in abjad_keys(token) if len(k) >= 3)
    return frozenset(out)


def _token_keys(token: str, out: set[str]) -> None:
    if len(token) < 2:
        return
    out.add("m:" + (metaphone(fold(token)) or fold(token)))
    sk = skeleton(token)
    if len(sk) >= 2:
        out.add("s:" + sk)


@lru_cache(maxsize=1_000_000)  # screening compares the same common parts again and again
def token_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two name parts already in Latin letters."""
    (aa, ga), (ab, gb) = compare_folds(a), compare_folds(b)
    if aa == ab or ga == gb:
        return 1.0
    folded = JaroWinkler.similarity(aa, ab)
    if aa != ga or ab != gb:  # a j or ch in either: the glide reading may agree better
        folded = max(folded, JaroWinkler.similarity(ga, gb))
    score = max(folded, _typo_similarity(a, b))
    if score >= 0.9:
        return score
    long_enough = len(a) > SHORT_PART and len(b) > SHORT_PART
    if long_enough and score >= VOWELS_WORTH_CHECKING and latin_vowels_agree(a, b):
        # The same consonants and no long vowel against a short one: spellings of a name
        # from a script without short vowels (Mohamed / Muhammad, Yousef / Yusuf, Brown /
        # Braun written back from Cyrillic).
        return max(score, SHORT_VOWELS_ONLY)
    sa, sb = skeleton(a), skeleton(b)
    if sa != sb or not sa:
        return score
    # Scripts written without vowels (محمد -> mhmd) agree on consonants only; names both
    # written with vowels that differ in them are different names (Osayande / Osunde).
    if not (set(a) & VOWELS) or not (set(b) & VOWELS):
        latin, abjad = (b, a) if not set(a) & VOWELS else (a, b)
        if abjad_vowels_agree(latin, abjad) is False:  # حسين hsyn is not Hassan
            return min(score, LONG_VOWEL_CONFLICT)
        return max(score, 0.9)
    return score


def _typo_similarity(a: str, b: str) -> float:
    """Two spellings one keystroke apart as written (before folding, which can turn a
    doubled vowel into another letter: chooe -> jue, choe -> jo). Jaro-Winkler on a part
    of three or four letters gives one swap 0.56 (sok / sko, abd / adb), so for short
    parts a swap of two neighbours (OSA distance 1, same letters) or a doubled letter
    (chooe / choe) counts as a typo; any other letter off may be another name (kim / kam).
    Longer parts keep Jaro-Winkler on the spellings as written."""
    if min(len(a), len(b)) <= SHORT_PART:
        swapped = sorted(a) == sorted(b) and OSA.distance(a, b) == 1
        doubled = DOUBLED.sub(r"\1", a) == DOUBLED.sub(r"\1", b)
        return ONE_TYPO if (swapped or doubled) and min(len(a), len(b)) >= 3 else 0.0
    return JaroWinkler.similarity(a, b)


def name_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two names, any scripts, any order of parts."""
    if a.isascii() and b.isascii():  # no script to read (a flag on the string, no scan)
        plain = parts_similarity(name_parts(a), name_parts(b))
        if plain < PART_MISSING_MAX:  # a particle one name keeps and the other drops
            plain = max(plain, _kept_particles_similarity(a, b))
        return plain
    han_a, han_b = has_han(a), has_han(b)
    if han_a != han_b or _one_korean(a, b):
        return name_match(a, b).score
    plain = parts_similarity(name_parts(a), name_parts(b))
    if plain < PART_MISSING_MAX:
        plain = max(plain, _kept_particles_similarity(a, b))
    several = (
        has_cyrillic(a) != has_cyrillic(b)
        or has_thai(a) != has_thai(b)
        or has_kana(a) != has_kana(b)
    )
    if plain < 1.0 and several:  # every national or passport spelling
        plain = max(parts_similarity(x, y) for x in name_forms(a) for y in name_forms(b))
    arab_a, arab_b = has_arabic(a) or has_thai(a), has_arabic(b) or has_thai(b)
    if arab_a == arab_b:
        if plain < PART_MISSING_MAX and has_thai(a) and has_thai(b):
            ordered = (a, b) if a <= b else (b, a)  # one order: the score is symmetric
            plain = max(plain, _thai_match(*ordered).score)  # homophone letters (ADR 0030)
        return plain
    latin, other = (b, a) if arab_a else (a, b)
    if has_thai(other) and len(name_parts(a)) == len(name_parts(b)) == 1:
        # A lone Thai given name and its romanisation: romanisations of similar names
        # differ by a letter or a vowel (วนัส Wanat, Anat; รุ่งชัย Rungchai, Rianchai), so
        # sounds without vowels prove nothing and a letter off counts for more. Every
        # spelling is compared, in Thai informal spelling (ADR 0016). Sound keys are not:
        # one word alone cannot carry a match that coarse (ADR 0030).
        words = [w for w in other.split() if has_thai(w)]
        if len(words) == 1:
            plain = lone_name_similarity(name_parts(latin)[0], thai_spellings(words[0]))
        return round(max(0.0, 1 - SINGLE_THAI_STRICTNESS * (1 - plain)), 4)
    best = plain if plain >= PART_MISSING_MAX else max(plain, _abjad_match(latin, other).score)
    if best < PART_MISSING_MAX and has_thai(other):
        best = max(best, _thai_match(latin, other).score)
    return round(best, 4)


@dataclass(frozen=True)
class NameMatch:
    """Why two names scored as they did: the romanisation used and which part of the
    first name matched which part of the second (each with its own score)."""

    score: float
    method: str
    pairs: tuple[tuple[str, str, float], ...] = ()

    def explain(self) -> str:
        matched = ", ".join(f"{a}~{b} {s:.2f}" for a, b, s in self.pairs)
        return f"{self.method}: {matched}" if matched else self.method


def name_match(a: str, b: str) -> NameMatch:
    """`name_similarity` with its explanation (slower: analysts' view, not batch scoring):
    the same score, the romanisation or comparison that gave it, and which part of `a`
    matched which part of `b`."""
    if _one_korean(a, b):
        latin, korean = (b, a) if has_hangul(a) else (a, b)
        found = _hangul_match(latin, korean)
        if has_hangul(a):
            found = NameMatch(
                found.score, found.method, tuple((y, x, s) for x, y, s in found.pairs)
            )
        return found
    if has_han(a) != has_han(b):
        latin, han = (b, a) if has_han(a) else (a, b)
        found = _han_match(latin, han)
        if has_han(a):  # keep the caller's order: first name's parts first
            flipped = tuple((y, x, s) for x, y, s in found.pairs)
            found = NameMatch(found.score, found.method, flipped)
        return found
    score = name_similarity(a, b)
    ta, tb = max(
        ((x, y) for x in name_forms(a) for y in name_forms(b)),
        key=lambda xy: parts_similarity(*xy),
    )
    plain = NameMatch(score, "transliteration", _pairs(ta, tb))
    if (has_thai(a) or has_thai(b)) and parts_similarity(ta, tb) < score:
        thai = _thai_match(a, b)
        if thai.score == score:  # the sound keys decided (ADR 0030)
            return thai
    if (has_arabic(a) or has_thai(a)) == (has_arabic(b) or has_thai(b)):
        return plain
    latin_first = not (has_arabic(a) or has_thai(a))
    abjad = _abjad_match(a, b) if latin_first else _abjad_match(b, a)
    if abjad.score != score:  # the letters decided, not the sounds
        return plain
    pairs = abjad.pairs if latin_first else tuple((y, x, s) for x, y, s in abjad.pairs)
    return NameMatch(score, abjad.method, pairs)


ThaiWord = tuple[tuple[str, ...], str]  # Latin spellings, RTGS spelling ("": not Thai)


def _thai_words(name: str) -> tuple[ThaiWord, ...]:
    """Each word of a name with its Latin spellings: every likely one for a Thai word
    (`thai_spellings`, with its RTGS spelling apart), its own Latin parts for any other."""
    out: list[ThaiWord] = []
    for word in _without_arabic_particles(name).split():
        if has_thai(word):
            if any(thai_spellings(word)):
                out.append((thai_spellings(word), rtgs_spelling(word)))
        else:
            out.extend(((part,), "") for part in name_parts(word, lone_word=True))
    return tuple(out)


def _thai_word_similarity(a: ThaiWord, b: ThaiWord) -> float:
    """Two words: the best letters agree, or `THAI_SOUNDS_ALIKE` when they sound alike
    (ADR 0030): two Thai words the RTGS spells alike (homophone letters), or a Latin
    word whose sound key is a Thai word's."""
    (sa, ra), (sb, rb) = a, b
    letters = max(token_similarity(x, y) for x in sa for y in sb)
    if letters >= THAI_SOUNDS_ALIKE:
        return letters
    if ra and rb:
        alike = ra == rb
    elif ra or rb:
        latin, thai = (sb[0], sa) if ra else (sa[0], sb)
        alike = keys_agree(latin, thai)
    else:
        alike = False  # two Latin words: the Latin rules decide
    return THAI_SOUNDS_ALIKE if alike else letters


@lru_cache(maxsize=200_000)
def _thai_match(a: str, b: str) -> NameMatch:
    """Names with Thai words by sound keys (`names_thai_key`): a passport spelling
    against the Thai (Jai / ใจ, Vong / วงศ์, Sakdi / ศักดิ์) or two Thai spellings with
    homophone letters (สหรัถ / สหรัฐ); each word pairs with its own, as in `combine`."""
    return _paired_match(
        _thai_words(a),
        _thai_words(b),
        _thai_word_similarity,
        lambda word: word[0][0],
        "Thai sound keys (RTGS letter classes)",
    )


def _one_korean(a: str, b: str) -> bool:
    """Exactly one of the names is written in Hangul (and neither in Chinese characters)."""
    return has_hangul(a) != has_hangul(b) and not (has_han(a) or has_han(b))


@lru_cache(maxsize=200_000)
def _hangul_match(latin: str, korean: str) -> NameMatch:
    """A Latin name against a Hangul one: the best spelling per syllable (any system or
    the surname's customary spelling), or the whole name in one system for given names
    written as one word (Jongun)."""
    parts = name_parts(latin)
    if not parts:
        return NameMatch(0.0, "no Latin name parts")
    readings = hangul_readings(korean)
    best = _readings_match(parts, readings, "Korean")
    if len(parts) >= len(readings):  # one part per syllable: the forms add nothing
        return best
    for system, form in hangul_forms(korean):
        score = parts_similarity(parts, form)
        if score > best.score:
            best = NameMatch(score, f"Korean ({system})", _pairs(parts, form))
    return best


ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def has_arabic(text: str) -> bool:
    return ARABIC.search(text) is not None


@lru_cache(maxsize=200_000)
def _abjad_match(latin: str, arabic: str) -> NameMatch:
    """A Latin name against an Arabic-script one by sound classes as well as letters:
    the transliteration writes و and ي as w and y where Latin has vowels (جونز jwnz,
    Jones), and Arabic has no p, v or hard g (بيتر Peter). Thai script takes the same
    path (foreign names written in Thai: โดนัลด์ ทรัมป์) and is named as Thai."""
    ta, tb = name_parts(latin), name_parts(arabic)
    script = "Thai" if has_thai(arabic) else "Arabic"
    return _paired_match(ta, tb, _abjad_similarity, str, f"{script} script (sound classes)")


Word = TypeVar("Word")


def _paired_match(
    ta: Sequence[Word],
    tb: Sequence[Word],
    similarity: Callable[[Word, Word], float],
    label: Callable[[Word], str],
    method: str,
) -> NameMatch:
    """Each word of the shorter name paired with its own word of the longer one by a
    comparison that needs to know which side is which (`similarity(a's word, b's word)`),
    combined as `combine` does; pairs in the caller's order, each word shown by `label`."""
    if not ta or not tb:
        return NameMatch(0.0, "no name parts")
    flip = len(ta) > len(tb)
    short, long_ = (tb, ta) if flip else (ta, tb)
    grid = [[similarity(*((t, s) if flip else (s, t))) for t in long_] for s in short]
    picked = paired_grid(grid)
    score, _ = combine([x for x, _, _ in picked], len(short), len(long_))
    pairs = ((label(short[i]), label(long_[j]), round(x, 4)) for x, i, j in picked)
    oriented = tuple((y, x, s) if flip else (x, y, s) for x, y, s in pairs)
    return NameMatch(round(score, 4), method, oriented)


@lru_cache(maxsize=200_000)
def _abjad_similarity(latin_word: str, arabic_word: str) -> float:
    letters = token_similarity(latin_word, arabic_word)
    sounds = max(
        (
            JaroWinkler.similarity(ka, kb)
            for ka in sound_keys(latin_word, pinyin=False)
            for kb in abjad_keys(arabic_word)
            if min(len(ka), len(kb)) >= 2
        ),
        default=0.0,
    )
    best = max(letters, SOUND_SCALE * sounds - (SOUND_SCALE - 1))
    if best > LONG_VOWEL_CONFLICT and abjad_vowels_agree(latin_word, arabic_word) is False:
        return LONG_VOWEL_CONFLICT  # حسين is Hussein, not Hassan
    return best


def _pairs(
    ta: Sequence[str],
    tb: Sequence[str],
    similarity: Callable[[str, str], float] = token_similarity,
) -> tuple[tuple[str, str, float], ...]:
    if not ta or not tb:
        return ()
    flip = len(ta) > len(tb)
    short, long_ = (tb, ta) if flip else (ta, tb)
    picked = paired_grid([[similarity(s, t) for t in long_] for s in short])
    out = ((short[i], long_[j], round(score, 4)) for score, i, j in picked)
    return tuple((y, x, s) if flip else (x, y, s) for x, y, s in out)


@lru_cache(maxsize=200_000)
def _han_match(latin: str, han: str) -> NameMatch:
    """A Latin-script name against one written in Chinese characters: the best of the
    native readings (per character, any system), whole-name systems (for glued or
    hyphenated given names) and, for foreigners' names, the pinyin transcription by
    sound classes."""
    parts = name_parts(latin)
    if not parts:
        return NameMatch(0.0, "no Latin name parts")
    if has_kana(han):  # kanji with kana: Japanese, not Chinese readings
        return _japanese_match(parts, han)
    candidates = []
    if not SEPARATED.search(han):  # 唐纳德·特朗普: a foreign name, not Chinese readings
        candidates.append(_japanese_match(parts, han))  # kanji alone: maybe Japanese
        candidates.append(_han_native(parts, han))
        score, system, form = max(
            (
                (_whole_name_similarity(parts, form), system, form)
                for system, form in comparison_forms(han)  # with Tongyong (ADR 0043)
            ),
            key=lambda x: x[0],
        )
        if score > candidates[0].score:  # pairs only for the one that may be shown
            pairs = _pairs(parts, form, _han_pair_similarity(parts, form))
            candidates.append(NameMatch(score, system, pairs))
    candidates.append(_family_first_transcription(latin, han))  # last: readings explain ties
    return max(candidates, key=lambda m: m.score)


def _han_pair_similarity(parts: Sequence[str], form: Sequence[str]) -> Callable[[str, str], float]:
    """How `_whole_name_similarity` compares a Latin part with a syllable of a whole-name
    form: `token_similarity`, capped by the initials check (`_han_syllable_score`) when
    the name is written one Latin part per character; plain letters otherwise."""
    return token_similarity if len(parts) != len(form) else _checked_syllable_similarity


def _checked_syllable_similarity(part: str, syllable: str) -> float:
    """`token_similarity` of a Latin part and one syllable, at most `INITIAL_MISMATCH`
    when their initials do not correspond (`names_han_initials`)."""
    return _han_syllable_score(part, syllable, token_similarity(part, syllable))


def _whole_name_similarity(parts: tuple[str, ...], form: tuple[str, ...]) -> float:
    """Latin parts against a Chinese name in one system, a syllable per character
    (`comparison_forms`), with the check the per-syllable path makes (ADR 0053, 0056): a
    Latin part paired with a syllable whose initial no sound correspondence links to its
    own is a different syllable however many letters they share (Wong Ka Neng is not
    黄家定 wong-ka-ding: n is not d). Only when the Latin has one part per character: a
    glued or hyphen-joined given name (Yingjeou) holds several initials in one part and
    is compared by its letters as before. A pairing that crosses initials also gets no
    glued-letters rescue (`parts_similarity`'s moved boundary): the parts sit where the
    syllables do, so no boundary moved; only a letter of one syllable differs. Never
    above the letters' score. Fewer Latin parts than characters (a glued given name,
    Kaneng) are checked by `_glued_similarity`."""
    plain = parts_similarity(parts, form)
    similarity = _han_pair_similarity(parts, form)
    if similarity is token_similarity:
        return _glued_similarity(parts, form, plain) if len(parts) < len(form) else plain
    picked = paired_grid([[similarity(p, s) for s in form] for p in parts])
    if all(initials_correspond(parts[i], form[j]) for _, i, j in picked):
        checked = parts_similarity(parts, form, similarity)
    else:
        checked = round(max(combine([s for s, _, _ in picked], len(parts), len(form))[0], 0.0), 4)
    # A check only takes away: capped cells can steer the greedy pairing (`paired_grid`)
    # to a better total than the letters' own pairing found.
    return min(plain, checked)


def _glued_similarity(parts: tuple[str, ...], form: tuple[str, ...], plain: float) -> float:
    """`_whole_name_similarity` for fewer Latin parts than characters (Wong Kaneng ~
    黄家定 wong-ka-ding): a part that cannot be cut into syllables each starting as its
    character can (`names_han_glued`: ka|neng, n is not d) counts at most
    `INITIAL_MISMATCH` in the parts' pairing, and the glued-letters rescue, which
    compares wongkaneng with wongkading letter by letter, is not taken. Names whose
    every part fits keep the letters' score (ADR 0053 amendment)."""
    fits = fitting_parts(parts, tuple((syllable,) for syllable in form))
    if all(fits):
        return plain
    picked = paired_grid([[token_similarity(p, s) for s in form] for p in parts])
    cells = [score if fits[i] else min(score, INITIAL_MISMATCH) for score, i, _ in picked]
    checked = max(combine(cells, len(parts), len(form))[0], 0.0)
    return min(plain, round(checked, 4))


def _japanese_match(parts: tuple[str, ...], name: str) -> NameMatch:
    """Latin parts against a Japanese name's readings, every system and long-vowel form."""
    best = NameMatch(0.0, "no Japanese reading")
    for system, text in japanese_forms(name):
        form = _parts(_latin_text(text))
        score = parts_similarity(parts, form)
        if score > best.score:
            best = NameMatch(score, f"Japanese reading ({system})", _pairs(parts, form))
    return best


def _han_native(parts: tuple[str, ...], han: str) -> NameMatch:
    """Per-character readings; with fewer Latin parts than characters, a part that cannot
    be cut into syllables starting as their characters' readings can (`names_han_glued`)
    pairs at most `INITIAL_MISMATCH` (Wong Kaneng is not 黄家定; ADR 0053 amendment)."""
    readings = native_readings(han)
    fits = None
    if len(parts) < len(readings):
        fits = fitting_parts(parts, tuple(tuple(s for s, _ in opts) for opts in readings))
    return _readings_match(parts, readings, "Chinese", _best_han_reading, fits)


def _readings_match(
    parts: tuple[str, ...],
    readings: Sequence[Sequence[tuple[str, str]]],
    label: str,
    best_reading: Callable[[str, Sequence[tuple[str, str]]], tuple[float, str, str]] | None = None,
    fits: Sequence[bool] | None = None,
) -> NameMatch:
    """Latin parts against a name written one syllable per character (Chinese, Korean),
    each character with its spellings: each part takes the best spelling of its own
    character, and the systems used are named. A part whose `fits` is False scores at
    most `INITIAL_MISMATCH` against every character."""
    if not readings:
        return NameMatch(0.0, f"no {label} characters")
    best_reading = best_reading or _best_reading
    grid = [[best_reading(p, options) for options in readings] for p in parts]
    for i, fit in enumerate(fits or ()):
        if not fit:
            grid[i] = [(min(s, INITIAL_MISMATCH), spelling, sys_) for s, spelling, sys_ in grid[i]]
    if len(parts) > len(readings):  # rows must be the shorter side
        columns = [[row[j] for row in grid] for j in range(len(readings))]
        picked = [(s, j, i) for s, i, j in paired_grid([[c[0] for c in col] for col in columns])]
    else:
        picked = paired_grid([[cell[0] for cell in row] for row in grid])
    sizes = sorted((len(parts), len(readings)))
    score, _ = combine([s for s, _, _ in picked], sizes[0], sizes[1])
    in_order = sorted(picked, key=lambda x: x[1])
    pairs = tuple((parts[i], grid[i][j][1], round(s, 4)) for s, i, j in in_order)
    systems = sorted({grid[i][j][2] for _, i, j in picked})
    return NameMatch(round(score, 4), f"{label} readings: " + ", ".join(systems), pairs)


def _best_reading(part: str, options: Sequence[tuple[str, str]]) -> tuple[float, str, str]:
    """The reading closest to a Latin part, with its spelling and system."""
    return max((token_similarity(part, spelling), spelling, system) for spelling, system in options)


def _best_han_reading(part: str, options: Sequence[tuple[str, str]]) -> tuple[float, str, str]:
    """`_best_reading` for a Chinese character: a reading whose initial consonant cannot
    be the Latin part's (no sound correspondence between Chinese languages links them,
    `names_han_initials`, ADR 0053) counts as a different syllable however many letters
    they share (ying / sing for 陞)."""
    return max(
        (_han_syllable_score(part, spelling, token_similarity(part, spelling)), spelling, system)
        for spelling, system in options
    )


def _han_syllable_score(part: str, spelling: str, score: float) -> float:
    if initials_correspond(part, spelling):
        return score
    return min(score, INITIAL_MISMATCH)


def _family_first_transcription(latin: str, han: str) -> NameMatch:
    """`_han_transcription`, unless a Latin part spells the first of two to four characters
    as a family name (LEE Cheuk-yan ~ 李智陞, Lim Hng Kiang ~ 林勛強): the name is then
    romanised the native way, that part and that character pair off, and only the other
    Latin parts that can be Chinese syllables may explain the given-name characters, by
    their sounds (Hokkien, Hakka and Foochow given names have no reading data). Sounds of
    the whole run would spend the family name's character on a given name (Lee Lam Thye ~
    李奕賢 as lam ~ li-yi-xian)."""
    split = family_name_split(han)
    parts = _transcribed_parts(latin)
    if split is None or len(parts) < 2:
        return _han_transcription(latin, han)
    spellings, given = split
    family = next(((p, s) for p in parts for s in spellings if token_similarity(p, s) == 1.0), None)
    if family is None:
        by_syllable = _syllable_transcription(parts, han_chars(han), rotate=True)
        return by_syllable or _han_transcription(latin, han)
    rest = list(parts)
    rest.remove(family[0])
    # A Western given name beside it (Kenneth LEUNG) transcribes none of the characters.
    given_parts = tuple(p for p in rest if spells_chinese_syllables(p))
    if not given_parts:
        return NameMatch(0.0, "family name only, no Chinese given name", ((*family, 1.0),))
    # One Latin part per character, or the given name glued whole (Yingjeou, Ying-jeou):
    # never some of its parts, which would leave the others unexplained.
    found = _syllable_transcription(
        given_parts, han_chars(given), rotate=False
    ) or _han_transcription("".join(given_parts), given)
    return NameMatch(
        found.score, f"{found.method}, family name first", ((*family, 1.0), *found.pairs)
    )


def _syllable_transcription(
    parts: tuple[str, ...], chars: tuple[str, ...], rotate: bool
) -> NameMatch | None:
    """A name romanised one Latin part per character (Wong Ka Chun, Hou Kok Chung),
    compared character by character (`_syllable_similarity`): the Latin form of a Chinese
    name keeps one syllable per character, so sounds may not slide from one syllable to
    the next (tong-io-cheng ~ huang-jia-zhen as a whole run). In order, or with the family
    name moved last (Siu Ming Wong) when `rotate`. None when the parts are not one
    Chinese syllable per character."""
    if len(parts) != len(chars) or len(parts) < 2:
        return None
    if not all(spells_chinese_syllables(p) for p in parts):
        return None
    syllables = tuple(transcription_words(c)[0] for c in chars)
    readings = tuple(char_readings(c, surname=i == 0) for i, c in enumerate(chars))
    orders = [parts, (parts[-1], *parts[:-1])] if rotate else [parts]
    best: NameMatch | None = None
    for order in orders:
        scores = [
            _syllable_similarity(p, s, r, family=rotate and i == 0)
            for i, (p, s, r) in enumerate(zip(order, syllables, readings, strict=True))
        ]
        score, _ = combine(scores, len(scores), len(scores))
        if best is None or score > best.score:
            pairs = tuple(
                (p, s, round(x, 4)) for p, s, x in zip(order, syllables, scores, strict=True)
            )
            best = NameMatch(round(score, 4), "pinyin transcription by syllable", pairs)
    return best


def _syllable_similarity(
    part: str, syllable: str, readings: Sequence[tuple[str, str]], family: bool = False
) -> float:
    """One Latin syllable against one character: its closest spelling in any romanisation
    or, for readings no system here has (Hokkien and Hakka given names), its sound classes
    against the pinyin; a w after a vowel is the vowel u there (siew, chew, liew). A
    family name's character (`family`) by its spellings only: the surname tables give
    it in every system (ADR 0050), and sound classes, which drop the vowel, would let
    any surname with the same initial and nasal answer for it (sing ~ 张 zhang; ADR 0053).
    A syllable whose initial no reading's initial corresponds to is not that character
    (`names_han_initials`)."""
    if family:
        return _best_han_reading(part, readings)[0]
    sounds = _sound_similarity(re.sub(r"(?<=[aeiou])w", "u", part), syllable)
    if not any(initials_correspond(part, spelling) for spelling, _ in readings):
        sounds = min(sounds, INITIAL_MISMATCH)  # hng is not 谋 mou (ADR 0053)
    return max(sounds, _best_han_reading(part, readings)[0])


def _transcribed_parts(latin: str) -> tuple[str, ...]:
    """The Latin words a transcription in characters may render: a generational suffix
    (Jr., Sr., III) is left out of it (John Glenn Jr. is 约翰·格伦; ADR 0053)."""
    words = re.sub(r"[^a-z ]+", " ", latinize(latin)).split()
    return tuple(w for w in words if w not in GENERATIONAL) or tuple(words)


def _han_transcription(latin: str, han: str) -> NameMatch:
    pieces = transcription_pieces(han)
    words = tuple(word for word, _ in pieces)
    parts = _transcribed_parts(latin)
    if not words or not parts:
        return NameMatch(0.0, "no transcription")
    best = NameMatch(0.0, "pinyin transcription")
    for run in _runs(parts, len(words)):
        grid = [[_transcribed_similarity(p, w, size) for w, size in pieces] for p in run]
        if len(run) == len(words):  # transcriptions keep the order (or reverse it)
            n = len(run)
            forward = [(grid[i][i], i, i) for i in range(n)]
            backward = [(grid[i][n - 1 - i], i, n - 1 - i) for i in range(n)]
            picked = max(forward, backward, key=lambda x: sum(s for s, _, _ in x))
        else:
            flipped = paired_grid([[row[j] for row in grid] for j in range(len(words))])
            picked = [(s, j, i) for s, i, j in flipped]
        # Words in characters no Latin word explains (a middle name the Latin leaves
        # out, or another person's) cost what a missing part costs in `parts_similarity`.
        score, _ = combine([s for s, _, _ in picked], len(picked), len(words))
        # Latin words the characters leave out: Chinese often writes only the given
        # name (哈莉玛, Halimah Yacob), but so do other people's names; letters covered
        # decide how much the match says.
        covered = sum(len(run[i]) for _, i, _ in picked) / sum(map(len, parts))
        score *= TRANSCRIPTION_COVERAGE + (1 - TRANSCRIPTION_COVERAGE) * covered
        if score > best.score:
            pairs = tuple((run[i], words[j], round(s, 4)) for s, i, j in picked)
            best = NameMatch(round(score, 4), "pinyin transcription (sound classes)", pairs)
    return best


def _transcribed_similarity(latin_word: str, pinyin_word: str, size: int) -> float:
    """`_sound_similarity`, unless the characters are more than the Latin word could be
    written with: Chinese transcription gives each vowel letter at most a character
    (Julia 茱莉雅 ju-li-ya) and each consonant no vowel follows at most one more (Tim 蒂姆,
    Smith 史密斯), so a word of
    more characters transcribes something else (Tim is not 姚添辉 yao-tian-hui; ADR 0053)."""
    most = len(SPOKEN_VOWELS.findall(latin_word)) + len(BARE_CONSONANTS.findall(latin_word))
    score = _sound_similarity(latin_word, pinyin_word)
    return score if size <= most else min(score, INITIAL_MISMATCH)


def _runs(parts: tuple[str, ...], words: int) -> list[tuple[str, ...]]:
    """The Latin words as written and, for a name written as one run of characters,
    every run of consecutive words glued (诺拉阿都拉曼 transcribes Norah Abdul Rahman)."""
    runs = [parts]
    if words == 1 and len(parts) > 1:
        n = len(parts)
        runs += [("".join(parts[i:j]),) for i in range(n) for j in range(i + 2, n + 1)]
    return runs


@lru_cache(maxsize=200_000)
def _sound_similarity(latin_word: str, pinyin_word: str) -> float:
    """How well a Latin word sounds like a transcription: Jaro-Winkler on the sound
    classes, rescaled (`SOUND_SCALE`) because short consonant keys agree by chance far
    more often than spellings do, or on the letters themselves, whichever is higher."""
    letters = JaroWinkler.similarity(fold(latin_word), fold(pinyin_word))
    best = 0.0
    latin_keys = sound_keys(latin_word, pinyin=False)
    if (vowel_w := VOWEL_W.sub("u", latin_word)) != latin_word:
        # w closing a vowel (Newton, Bowman, Crawford) is heard as the vowel u and
        # transcribed as one (牛顿 niu-dun, 鲍曼 bao-man, 克劳福德 ke-lao-fu-de; ADR 0053)
        latin_keys = tuple(dict.fromkeys((*latin_keys, *sound_keys(vowel_w, pinyin=False))))
    for ka, kb in ((a, b) for a in latin_keys for b in sound_keys(pinyin_word, pinyin=True)):
        if min(len(ka), len(kb)) < 2:
            # one consonant agrees by chance: the same lone consonant is some evidence
            best = max(best, ONE_CONSONANT if ka == kb else 0.0)
            continue
        sounds = JaroWinkler.similarity(ka, kb)
        # Liquids come and go in transcription (Donald -> 唐纳德 tang-na-de): without
        # them the consonants may agree, which is weaker evidence than agreeing with them.
        la, lb = ka.replace("L", ""), kb.replace("L", "")
        if la and lb and (la, lb) != (ka, kb):
            sounds = max(sounds, 0.95 * JaroWinkler.similarity(la, lb))
        best = max(best, sounds)
    return max(letters, SOUND_SCALE * best - (SOUND_SCALE - 1))


def best_part_similarity(ta: Sequence[str], tb: Sequence[str]) -> float:
    """The best agreement of any one part with any other: 'the family name is the same'
    is evidence even when the given names differ (a nickname, a typo, a swapped field)."""
    return max((token_similarity(a, b) for a in ta for b in tb), default=0.0)


def paired(
    short: Sequence[str],
    long_: Sequence[str],
    similarity: Callable[[str, str], float] = token_similarity,
) -> list[float]:
    """Each part of the shorter name paired with its own part of the longer one, best
    pairs first: one "Ibrahim" may not answer for both parts of "Ibrahim Ibrahim"."""
    grid = [[similarity(s, t) for t in long_] for s in short]
    return [score for score, _, _ in paired_grid(grid)]


def paired_grid(grid: Sequence[Sequence[float]]) -> list[tuple[float, int, int]]:
    """`paired` on a ready similarity grid (rows: the shorter name's parts); returns
    (score, row, column) per row so callers can say which part matched which."""
    picks = [max(range(len(row)), key=row.__getitem__) for row in grid]
    if len(set(picks)) == len(picks):  # every part's best is its own: the usual case
        return [(row[j], i, j) for i, (row, j) in enumerate(zip(grid, picks, strict=True))]
    scored = sorted(
        ((score, i, j) for i, row in enumerate(grid) for j, score in enumerate(row)),
        reverse=True,
    )
    best: dict[int, tuple[float, int, int]] = {}
    taken: set[int] = set()
    for score, i, j in scored:
        if i not in best and j not in taken:
            best[i] = (score, i, j)
            taken.add(j)
    return [best[i] for i in sorted(best)]


def combine(best: Sequence[float], short: int, long_: int) -> tuple[float, bool]:
    """One score from the paired parts' scores: the weakest part counts double (one
    shared given name must not make two people alike), a missing part costs a little and
    caps the score below "the same name" (the flag says it was capped)."""
    matched = sum(best) / len(best) - 0.5 * (1 - min(best))
    coverage = short / long_
    parts = matched * (0.85 + 0.15 * coverage)
    if coverage < 1 and min(best) >= 0.97:
        # "Faith Uwadiae" and "Faith Joy Uwadiae" may be one person or mother and
        # daughter: a part more or less is similar, never the same name.
        return min(parts, PART_MISSING_MAX), True
    return max(parts, 0.0), False


def parts_similarity(
    ta: Sequence[str],
    tb: Sequence[str],
    similarity: Callable[[str, str], float] = token_similarity,
) -> float:
    """`name_similarity` on names already split into parts by `tokens` (batch callers
    transliterate once and compare many times); `similarity` compares a part of the
    shorter name (of `ta` when as long) with one of the other (`_whole_name_similarity`
    adds a check to `token_similarity`)."""
    if not ta or not tb:
        return 0.0
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    parts, capped = combine(paired(short, long_, similarity), len(short), len(long_))
    if capped:
        return round(parts, 4)
    if len(ta) == len(tb):
        # A hyphen or space moved (Myongc-hin / Myong-chin): the same letters in the
        # same order, split elsewhere, so every part looks wrong on its own. Not
        # compared (a fold of a new glued string per pair) when it cannot beat the parts.
        if parts >= GLUED_DISCOUNT:
            return round(parts, 4)
        moved = _edit_similarity("".join(ta), "".join(tb)) * GLUED_DISCOUNT
        return round(max(parts, moved if moved >= ONE_TYPO * GLUED_DISCOUNT else 0.0), 4)
    # Differently split names ("Xiao Ming" / "Xiaoming", "Al Hassan" / "Alhassan"): the
    # same letters, so glued together they are about as long; a missing or extra name
    # part is not a different split, and gluing would let a long shared prefix win.
    la, lb = sum(map(len, ta)), sum(map(len, tb))
    if min(la, lb) < GLUED_LENGTH * max(la, lb):
        return round(max(parts, 0.0), 4)
    glued = max(
        _edit_similarity("".join(ta), "".join(tb)),
        _edit_similarity("".join(ta), "".join(reversed(tb))),
        _edit_similarity("".join(reversed(ta)), "".join(tb)),  # either name reversed
        _edit_similarity("".join(sorted(ta)), "".join(sorted(tb))) * GLUED_DISCOUNT,
    )
    return round(max(parts, glued, 0.0), 4)


def _edit_similarity(a: str, b: str) -> float:
    """Glued names compared letter by letter (edits, transpositions counted once), not by
    Jaro-Winkler, whose prefix bonus and matching window let two unrelated names glued
    together look alike (johnsolheim / cholsongkim 0.84 after folding)."""
    return float(OSA.normalized_similarity(fold(a), fold(b)))
