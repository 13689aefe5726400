"""Hokkien readings of Chinese characters, spelled as Malaysian and Singaporean passports do.

A Chinese given name on a Malaysian or Singaporean passport is usually spelled from its
Hokkien (or Teochew) reading in an unofficial, English-flavoured habit: 陈文庆 Tan Boon Keng,
林志雄 Lim Chee Hong, 林冠英 Lim Guan Eng, 许子根 Koh Tsu Koon. Mandarin and Cantonese
readings do not explain these (文 wen / man is not Boon), so the given name scored as a
different name. The readings come from `taibun` (Taiwanese Hokkien dictionary data, every
reading of a character, literary and colloquial; ADR 0009 amendment), in toneless
Tai-lo, and are folded here to the passport habit by its public rules:

- tone marks dropped, a nasalised vowel written plain (tiunn -> tiu), the central vowels of
  Quanzhou Hokkien (ir, er) written i and e;
- aspiration not written (kh, ph, th -> k, p, t: 慶 khing -> keng) and ts/tsh written ch
  (志 tsi -> chi, chee); the aspirated spelling stays as well (Khoo, Phua, Thng);
- Tai-lo oo (the open o) is o, and a final open o is also written oh (蘇 soo -> so, soh);
- an open i also spelled ee (志 chee), u and un also oo and oon (文 bun -> boon, 根 kun ->
  koon); ing and ik as eng and ek (英 ing -> eng, 德 tik -> tek), as POJ and passports write them;
- a syllable starting with the vowel i or u before another vowel also spelled with y or w
  (楊 iong -> yong).

`taibun` is imported on the first character looked up (under 0.3 s and about 18 MB, ADR
0009 amendment), so names without Chinese characters never load it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_HOKKIEN_READINGS = 4  # literary and colloquial readings of one character, in dictionary order
_MARKS = re.compile(r"[\u0300-\u036f]")
_INITIAL = re.compile(r"^(tsh|ts|kh|ph|th|ng|[bpmtnlkghsj])?(.*)$")


def _toneless(tailo: str) -> str:
    """A Tai-lo syllable without tone marks, in lower case: tîn -> tin."""
    return _MARKS.sub("", unicodedata.normalize("NFD", tailo)).lower()


def _finals(rhyme: str) -> list[str]:
    """The passport spellings of a Tai-lo rhyme (the syllable without its initial)."""
    rhyme = rhyme.replace("nn", "").replace("ir", "i").replace("er", "e").replace("oo", "o")
    out = [rhyme]
    if rhyme.endswith("ing"):
        out.append(rhyme[:-3] + "eng")
    elif rhyme.endswith("ik"):
        out.append(rhyme[:-2] + "ek")
    if rhyme == "o":
        out.append("oh")
    if rhyme == "i":  # the open vowel alone: chi -> chee (not lim -> leem)
        out.append("ee")
    if re.fullmatch(r"un?", rhyme):  # choo, boon
        out.append("oo" + rhyme[1:])
    return out


def _initials(initial: str, rhyme: str) -> list[str]:
    """The passport spellings of a Tai-lo initial: aspiration unwritten, ts as ch."""
    if initial in ("tsh", "ts"):
        return ["ch", "ts"]
    if initial in ("kh", "ph", "th"):
        return [initial[0], initial]
    if not initial and len(rhyme) > 1 and rhyme[0] in "iu" and rhyme[1] in "aeiou":
        return ["", "y" if rhyme[0] == "i" else "w"]
    return [initial]


def passport_spellings(tailo: str) -> tuple[str, ...]:
    """One Tai-lo syllable (tone marks allowed) as passports spell it, most literal first:
    khìng -> ('king', 'keng', 'khing', 'kheng')."""
    syllable = _toneless(tailo)
    if not re.fullmatch(r"[a-z]+", syllable):
        return ()
    found = _INITIAL.match(syllable)
    assert found is not None  # the pattern matches every string
    initial, rhyme = found.group(1) or "", found.group(2)
    if not rhyme:  # a syllabic nasal: ng (黃), m
        return (syllable,)
    out: list[str] = []
    for spelled_initial in _initials(initial, rhyme):
        for final in _finals(rhyme):
            if spelled_initial in ("y", "w"):
                final = final[1:] or final
            out.append(spelled_initial + final)
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=50_000)
def hokkien_spellings(char: str) -> tuple[str, ...]:
    """Every passport spelling of one character's Hokkien readings (traditional or
    simplified character), most common reading first; empty when the dictionary has none."""
    import taibun  # type: ignore[import-untyped]
    from taibun import taibun as tables

    readings: list[str] = tables.prons_dict.get(taibun.to_traditional(char), [])
    out: list[str] = []
    for reading in readings[:MAX_HOKKIEN_READINGS]:
        for variant in reading.split("/"):  # south/north (Zhangzhou/Quanzhou) forms
            out.extend(passport_spellings(variant))
    return tuple(dict.fromkeys(out))
