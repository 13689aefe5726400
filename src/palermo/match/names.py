"""Names across scripts: transliteration, name parts, phonetic keys and fuzzy scores.

Transliteration uses maintained libraries: ICU through normality/rigour for Cyrillic, Greek,
Arabic, Hebrew, Chinese (pinyin), Devanagari and the rest, and pythainlp's thai2rom model
for Thai (ICU's Thai output follows ISO 11940, which nobody writes on a passport, and the
Royal Thai General System rules misread implicit vowels). On top of that, comparison folds
the spelling habits of different languages (w/v, j/y, kh/h, sch/sh, ee/i, final ff/v) and,
for scripts written without vowels, also compares consonant skeletons
(محمد -> mhmd ~ Mohamed -> mhmd).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from normality import latinize_text
from rapidfuzz.distance import JaroWinkler
from rigour.text import metaphone

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
VOWELS = set("aeiou")
# The article written into an Arabic word (الحسن, al-Hasan): Latin spellings drop or split it.
ARABIC_ARTICLE = re.compile(r"(?<!\S)\u0627\u0644(?=\S{2,})")
PART_MISSING_MAX = 0.89  # below the "very similar" level of the resolver (0.9)
NOT_LETTERS = re.compile(r"[^A-Za-z]+")
GLUED_LENGTH = 0.8  # glued names compare only if the shorter is this share of the longer


def has_thai(text: str) -> bool:
    return any("\u0e00" <= c <= "\u0e7f" for c in text)


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

    return NOT_LETTERS.sub("", str(romanize(word, engine="thai2rom_onnx")))


# How Thai people write their names on passports where the RTGS writes otherwise: p and k
# for the aspirated ph and kh (Supaporn, Kamkaew), er for oe (Prasert), aew for aeo (Kaew).
THAI_PASSPORT_HABITS = (("ph", "p"), ("kh", "k"), ("oe", "er"), ("aeo", "aew"))


def _passport_habits(spelling: str) -> str:
    for rtgs, habit in THAI_PASSPORT_HABITS:
        spelling = spelling.replace(rtgs, habit)
    return spelling


@lru_cache(maxsize=100_000)
def thai_spellings(word: str) -> tuple[str, ...]:
    """The Latin spellings a Thai word is likely written in, the model's first.

    No single romanisation is what every agency writes: the model slips on some words
    (บุญเรือง -> "bunr"), the RTGS rules on others, and passports follow habits neither
    has. Comparing every form and keeping the best finds 123 of the world's 129 Thai names
    in a known spelling, against 115 for the model alone (ADR 0008)."""
    from pythainlp.transliterate import romanize

    model = romanize_thai(word).lower()
    rules = NOT_LETTERS.sub("", str(romanize(word, engine="royin"))).lower()
    forms = (model, _passport_habits(rules), _passport_habits(model))
    return tuple(dict.fromkeys(form for form in forms if form)) or ("",)  # Thai digits, marks


def _latin_text(text: str) -> str:
    text = latinize_text(text) or ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z ]+", " ", text.lower()).strip()


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
    return _latin_text(_thai_form(name, 0) if has_thai(name) else name)


@lru_cache(maxsize=200_000)
def latin_forms(name: str) -> tuple[str, ...]:
    """Every Latin form worth comparing, `latinize`'s first: one for most scripts, up to
    three for Thai (`thai_spellings`)."""
    if not has_thai(name):
        return (latinize(name),)
    count = max(len(thai_spellings(word)) for word in name.split() if has_thai(word))
    others = (_latin_text(_thai_form(name, i)) for i in range(1, count))
    return tuple(dict.fromkeys((latinize(name), *others)))


def tokens(name: str) -> list[str]:
    """Name parts without particles; 'Al-Hassan' and 'Alhassan' both give 'hassan'."""
    return list(name_parts(name))


@lru_cache(maxsize=2_000_000)  # screening: every indexed name stays split (a million persons)
def name_parts(name: str) -> tuple[str, ...]:
    """`tokens` as a tuple, cached."""
    return _parts(latinize(ARABIC_ARTICLE.sub("", name)))


@lru_cache(maxsize=200_000)
def name_forms(name: str) -> tuple[tuple[str, ...], ...]:
    """`name_parts` of every Latin form of a name (`latin_forms`), `name_parts` first."""
    others = latin_forms(ARABIC_ARTICLE.sub("", name))[1:]
    return (name_parts(name), *(_parts(form) for form in others))


def _parts(latin: str) -> tuple[str, ...]:
    out = []
    for token in latin.split():
        if token in PARTICLES:
            continue
        if len(token) > 5 and token[:2] in ("al", "el") and token[2] not in VOWELS:
            token = token[2:]
        out.append(token)
    return tuple(out)


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    for a, b in FOLDS:
        token = token.replace(a, b)
    token = re.sub(r"(.)\1+", r"\1", token)
    return token[:-1] + "v" if token.endswith("f") and len(token) > 3 else token


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonants only: how abjad scripts (Arabic, Hebrew) write names."""
    return re.sub(r"(.)\1+", r"\1", "".join(c for c in fold(token) if c not in VOWELS))


def keys(name: str) -> set[str]:
    """Phonetic keys of the name parts, for blocking candidates before scoring."""
    out = set()
    for token in tokens(name):
        if len(token) < 2:
            continue
        out.add("m:" + (metaphone(fold(token)) or fold(token)))
        sk = skeleton(token)
        if len(sk) >= 2:
            out.add("s:" + sk)
    return out


def token_similarity(a: str, b: str) -> float:
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return 1.0
    score = JaroWinkler.similarity(fa, fb)
    if score >= 0.9:
        return score
    sa, sb = skeleton(a), skeleton(b)
    if sa != sb or not sa:
        return score
    # Scripts written without vowels (محمد -> mhmd) agree on consonants only; names both
    # written with vowels that differ in them are different names (Osayande / Osunde).
    if not (set(a) & VOWELS) or not (set(b) & VOWELS):
        return max(score, 0.9)
    return score


def name_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two names, any scripts, any order of parts."""
    return parts_similarity(name_parts(a), name_parts(b))


def best_part_similarity(ta: Sequence[str], tb: Sequence[str]) -> float:
    """The best agreement of any one part with any other: 'the family name is the same'
    is evidence even when the given names differ (a nickname, a typo, a swapped field)."""
    return max((token_similarity(a, b) for a in ta for b in tb), default=0.0)


def paired(short: Sequence[str], long_: Sequence[str]) -> list[float]:
    """Each part of the shorter name paired with its own part of the longer one, best
    pairs first: one "Ibrahim" may not answer for both parts of "Ibrahim Ibrahim"."""
    grid = [[token_similarity(s, t) for t in long_] for s in short]
    picks = [max(range(len(long_)), key=row.__getitem__) for row in grid]
    if len(set(picks)) == len(picks):  # every part's best is its own: the usual case
        return [row[j] for row, j in zip(grid, picks, strict=True)]
    scored = sorted(
        ((score, i, j) for i, row in enumerate(grid) for j, score in enumerate(row)),
        reverse=True,
    )
    best: dict[int, float] = {}
    taken: set[int] = set()
    for score, i, j in scored:
        if i not in best and j not in taken:
            best[i] = score
            taken.add(j)
    return list(best.values())


def parts_similarity(ta: Sequence[str], tb: Sequence[str]) -> float:
    """`name_similarity` on names already split into parts by `tokens` (batch callers
    transliterate once and compare many times)."""
    if not ta or not tb:
        return 0.0
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    best = paired(short, long_)
    # The weakest part counts double: one shared given name must not make two people alike.
    matched = sum(best) / len(best) - 0.5 * (1 - min(best))
    coverage = len(short) / len(long_)
    parts = matched * (0.85 + 0.15 * coverage)
    if coverage < 1 and min(best) >= 0.97:
        # "Faith Uwadiae" and "Faith Joy Uwadiae" may be one person or mother and
        # daughter: a part more or less is similar, never the same name.
        return round(min(parts, PART_MISSING_MAX), 4)
    if len(ta) == len(tb):
        return round(max(parts, 0.0), 4)
    # Differently split names ("Xiao Ming" / "Xiaoming", "Al Hassan" / "Alhassan"): the
    # same letters, so glued together they are about as long; a missing or extra name
    # part is not a different split, and gluing would let a long shared prefix win.
    la, lb = sum(map(len, ta)), sum(map(len, tb))
    if min(la, lb) < GLUED_LENGTH * max(la, lb):
        return round(max(parts, 0.0), 4)
    joined = JaroWinkler.similarity(fold("".join(sorted(ta))), fold("".join(sorted(tb))))
    glued = max(
        token_similarity("".join(ta), "".join(tb)),
        token_similarity("".join(ta), "".join(reversed(tb))),
    )
    return round(max(parts, glued, joined * 0.95, 0.0), 4)
