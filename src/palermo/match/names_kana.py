"""Japanese names in Latin letters: Hepburn, Kunrei and the passport's long vowels.

Readings come from pykakasi (its own dictionary of kanji words and the kana tables; pure
Python, loaded on the first Japanese name, about 3 s). A Japanese name has several Latin
spellings that differ by system and by how long vowels are written:

- **Hepburn** (しんぞう shinzou, 伊藤 itou) and **Kunrei** (sinzou, tyou for ちょう);
- **long vowels** as the Japanese passport writes them (dropped: Ito, Ono, Sato), with
  "h" (Satoh, Ohno, a spelling passports allow on request), or doubled (Oono, Satou);
  macrons (Satō) become the plain vowel before comparison, the passport form.

Names in kana, or kanji mixed with kana, are Japanese: their Latin forms are these. Names
in kanji only may be Chinese or Japanese: the Chinese readings stay, and the Japanese
reading of the whole name is one more form compared (`names._han_match`). ADR 0016.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\uff66-\uff9d]")
LONG_WITH_H = ((r"ou(?![aeiou])", "oh"), (r"oo(?![aeiou])", "oh"))
LONG_DROPPED = ((r"ou(?![aeiou])", "o"), (r"oo(?![aeiou])", "o"), (r"uu(?![aeiou])", "u"))
NOT_LETTERS = re.compile(r"[^a-z ]+")


def has_kana(text: str) -> bool:
    return KANA.search(text) is not None


_LOADED: list[Any] = []  # the converter, loaded once (a dictionary, not a cache to clear)


def _converter() -> Any:
    if not _LOADED:
        import pykakasi

        _LOADED.append(pykakasi.kakasi())  # type: ignore[no-untyped-call]
    return _LOADED[0]


@lru_cache(maxsize=50_000)
def japanese_forms(name: str) -> tuple[tuple[str, str], ...]:
    """(system, Latin name) for a name in kanji and/or kana, Hepburn first: Hepburn,
    Kunrei, the passport's long vowels and long vowels written with h; no duplicates.
    Words stay words (space-separated as written; pykakasi splits a run of kanji into
    the dictionary's words, 伊藤博文 -> ito hirofumi)."""
    items = _converter().convert(name)
    forms: dict[str, str] = {}
    for system, key in (
        ("Hepburn", "hepburn"),
        ("Kunrei", "kunrei"),
        ("Japanese passport", "passport"),
    ):
        words = " ".join(str(item[key]).replace("'", "") for item in items)  # shin'ichi
        text = " ".join(NOT_LETTERS.sub(" ", words.lower()).split())
        if text:
            forms.setdefault(text, system)
    hepburn = next(iter(forms), "")
    for system, rules in (
        ("long vowels dropped", LONG_DROPPED),
        ("long vowels with h", LONG_WITH_H),
    ):
        spelled = hepburn
        for pattern, replacement in rules:
            spelled = re.sub(pattern, replacement, spelled)
        if spelled:
            forms.setdefault(spelled, system)
    return tuple((system, text) for text, system in forms.items())
