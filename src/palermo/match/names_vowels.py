"""Vowels across romanisations of names from scripts that do not write short vowels.

Arabic (and Persian, Urdu, Hebrew) writes consonants and long vowels only: ي for a long
i/e (or the diphthong ai/ei), و for a long u/o (or au/ou), and nothing for a short vowel.
Latin spellings of one name therefore differ freely in short vowels (Mohamed / Muhammad,
Omar / Umar, Yousef / Yusuf) but not in long ones: حسين is Hussein or Husain, never Hassan
(حسن); سعيد is Said or Saeed, never Saad (سعد). Sound classes that drop every vowel
(`names_han.abjad_keys`) cannot see that difference; letters compared one by one see
too much of the first.

Both spellings are cut into consonants and the vowel gaps between them. Gaps agree when
their long vowels agree: a long i (ee, ei, ai, ie, ey, ay, Arabic ي) may be written as a
plain i or e but not as a, o or u, a long u (oo, ou, uu, au, ow, Arabic و) as o or u but not
as a, e or i, and a gap Arabic leaves empty holds no long vowel. Short vowels always agree.
Used only where the consonants are the same (ADR 0016).
"""

from __future__ import annotations

import re
from functools import lru_cache

VOWELS = frozenset("aeiou")
DIGRAPHS = ("sh", "kh", "th", "dh", "gh", "ch", "ph", "zh", "ts")
# Coarse consonant classes: spellings of one Arabic letter fall in one class.
CLASSES = str.maketrans("qcgjzdtvwfpb", "kkkssttffffb")
LONG_I = ("ee", "ei", "ie", "ii", "ai", "ay", "ey", "iy", "ea")
LONG_U = ("oo", "uu", "au", "ow", "aw", "uo")  # not ou: French spelling of a short u
Shape = tuple[tuple[str, ...], tuple[str, ...]]  # consonant classes, gap kinds


LONG_I_RE = re.compile("|".join(LONG_I))
LONG_U_RE = re.compile("|".join(LONG_U))
# A consonant (digraphs as one; y and w before a vowel are consonants) or a vowel run (y
# and w elsewhere are vowels: Hussayn, Mahmowd).
LATIN_UNITS = re.compile(
    r"(sh|kh|th|dh|gh|ch|ph|zh|ts|[yw](?=[aeiou])|[bcdfghjklmnpqrstvxz])"
    r"|((?:[aeiou]|[yw](?![aeiou]))+)"
)


def _gap_kind(vowels: str) -> str:
    """A Latin vowel gap's kind: "" none, "I"/"U" long, "a" any short vowel, "i"/"u" a
    short vowel that may also write a long one (i, e / o, u; French ou)."""
    if not vowels:
        return ""
    if vowels == "ou":
        return "u"
    if LONG_I_RE.search(vowels):
        return "I"
    if LONG_U_RE.search(vowels):
        return "U"
    if vowels in ("i", "e", "y"):
        return "i"
    if vowels in ("o", "u", "w"):
        return "u"
    return "a"


@lru_cache(maxsize=200_000)
def latin_shape(word: str) -> Shape | None:
    """Consonant classes and vowel gaps of a Latin spelling (gaps before, between and
    after the consonants), or None when it has no consonant."""
    consonants: list[str] = []
    gaps: list[str] = []
    gap = ""
    for consonant, vowels in LATIN_UNITS.findall(word):
        if vowels:
            gap += vowels
            continue
        cls = consonant.translate(CLASSES) if len(consonant) == 1 else consonant
        if consonants and consonants[-1] == cls and not gap:
            continue  # a doubled consonant (Hassan, Mohammed)
        gaps.append(_gap_kind(gap))
        consonants.append(cls)
        gap = ""
    if not consonants:
        return None
    gaps.append(_gap_kind(gap))
    return tuple(consonants), tuple(gaps)


@lru_cache(maxsize=200_000)
def abjad_shape(transliterated: str) -> Shape | None:
    """The same for an Arabic-script word as ICU transliterates it (hsyn, ywsf, mhmdy):
    w and y after a consonant and not before an alif are the long vowels و/ي ("U", "I";
    "Y" for a final y, which may be alif maqsura); a is alif ("A")."""
    consonants: list[str] = []
    gaps: list[str] = []
    gap = ""
    i = 0
    word = transliterated
    while i < len(word):
        c = word[i]
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if c in "yw" and prev and prev not in "a" and nxt != "a" and consonants:
            # a final ى/ی after a consonant is also alif maqsura, an "a" (موسى Musa)
            gap += "U" if c == "w" else ("Y" if i == len(word) - 1 else "I")
            i += 1
            continue
        if c in VOWELS:
            gap += "A"
            i += 1
            continue
        unit = word[i : i + 2] if word[i : i + 2] in DIGRAPHS else c
        cls = unit[0].translate(CLASSES) if len(unit) == 1 else unit
        i += len(unit)
        if consonants and consonants[-1] == cls and not gap:
            continue
        gaps.append(gap)
        consonants.append(cls)
        gap = ""
    if not consonants:
        return None
    gaps.append(gap)
    return tuple(consonants), tuple(gaps)


def _latin_gaps_agree(x: str, y: str) -> bool:
    if x == y or not x or not y:
        return x == y or {x, y} <= {"", "a", "i", "u"}
    if x in "IU" or y in "IU":
        long_, other = (x, y) if x in "IU" else (y, x)
        return other in (long_, long_.lower())
    return True  # two short vowels: Arabic does not write them


def latin_vowels_agree(a: str, b: str) -> bool | None:
    """Whether two Latin spellings with the same consonants agree on long vowels (None:
    the consonants differ, no opinion). Mohamed / Muhammad and Yousef / Yusuf agree,
    Hussein / Hassan do not."""
    sa, sb = latin_shape(a), latin_shape(b)
    if sa is None or sb is None or sa[0] != sb[0]:
        return None
    if sa[1][-1] != sb[1][-1]:  # a final vowel is grammar elsewhere (Maria / Mario)
        return False
    return all(_latin_gaps_agree(x, y) for x, y in zip(sa[1], sb[1], strict=True))


def abjad_vowels_agree(latin: str, transliterated: str) -> bool | None:
    """Whether a Latin spelling writes the long vowels an Arabic-script word writes, and
    none where it writes none (None: the consonants do not line up, no opinion)."""
    sl, sa = latin_shape(latin), abjad_shape(transliterated)
    if sl is None or sa is None or sl[0] != sa[0]:
        return None
    for latin_gap, arabic_gap in zip(sl[1], sa[1], strict=True):
        if "Y" in arabic_gap and not latin_gap:
            return False
        if "I" in arabic_gap and latin_gap not in ("I", "i"):
            return False
        if "U" in arabic_gap and latin_gap not in ("U", "u"):
            return False
        if not arabic_gap and latin_gap in ("I", "U"):
            return False
    return True
