"""Whether a Latin syllable can spell a Chinese character, judged by its initial consonant.

Across the Chinese languages and their romanisations a character's final varies freely
(泉 quan, tsuen, tsuan; 生 sheng, sang, seng, say), but its initial consonant moves only
along a few well-known sound correspondences (ADR 0053):

- Min keeps old dental stops where Mandarin has retroflex affricates: 張 Teo / Zhang,
  陳 Tan / Chen, 鄭 Tay / Zheng (T ~ S);
- Mandarin's palatals j, q, x (Wade-Giles ch before i, hs) come from both old velars and
  sibilants: 金 Kim / Jin, 江 Kong / Jiang, 謝 Chia / Xie, 香 Heung / Xiang (Q ~ K, Q ~ S,
  Q ~ H), and Hokkien and Cantonese h and k alternate: 許 Koh / Hui (K ~ H); its
  retroflexes and dentals (zh, ch, sh, z, c, s) never come from velars: 張 is not Kong;
- Hokkien and Cantonese g, ng and h stand where Mandarin has no initial or a glide:
  顏 Gan / Ngan / Yan, 吳 Goh / Ng / Wu, 黃 Ng / Ong / Wong / Huang (K ~ 0, H ~ 0);
- Min b stands for Mandarin m and w, Cantonese m for Mandarin w: 馬 Beh / Ma,
  溫 Boon / Wen, 萬 Maan / Wan (P ~ M, P ~ 0, M ~ 0);
- f, h and p alternate: 方 Png / Hong / Fong, 胡 Foo / Hu / Wu (F ~ P, F ~ H, F ~ 0);
- n and l merge in Cantonese and Min: 梁 Neo / Leung / Liang (N ~ L);
- Mandarin r is Wade-Giles j, Cantonese y and Hokkien j or l: 任 Ren / Jen / Yam (R ~ J,
  R ~ 0, R ~ L), and a Latin j is pinyin's (K, S) or Wade-Giles' r.

Outside these a different initial is a different syllable: Ying is not 陞 (sheng, sing),
Neng is not 鼎 (ding, teng), Hng is not 谋 (mou). The letters and sounds that compare two
spellings (Jaro-Winkler, consonant classes) weigh an initial no more than any letter, so
they let such pairs score like spelling variants; this module is the check they lack.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Leading consonant letters of a syllable, longest first, and their class.
_INITIAL_CLASSES = (
    ("chh", "S"), ("tsz", "S"), ("chi", "Q"), ("chy", "Q"), ("chu", "Q"), ("ch", "S"),
    ("sh", "S"),
    ("zh", "S"), ("ts", "S"), ("tz", "S"), ("sz", "S"), ("hs", "Q"), ("ph", "P"),
    ("bh", "P"), ("th", "T"),
    ("kh", "K"), ("kw", "K"), ("gw", "K"), ("ng", "0"),
    ("b", "P"), ("p", "P"), ("f", "F"), ("m", "M"), ("d", "T"), ("t", "T"), ("n", "N"),
    ("l", "L"), ("r", "R"), ("g", "K"), ("k", "K"), ("h", "H"), ("j", "J"),
    ("z", "S"), ("c", "S"), ("s", "S"), ("x", "Q"), ("q", "Q"),
    ("w", "0"), ("y", "0"), ("v", "0"),
)  # fmt: skip
_CORRESPONDENCES = {
    frozenset(pair)
    for pair in (
        "TS", "QS", "QK", "QH", "QJ", "Q0", "QF", "KH", "K0", "KF", "H0", "PM", "P0",
        "M0", "FP", "FH", "F0", "NL", "N0", "RJ", "R0", "RL", "JS", "JK", "J0", "JL", "JH",
    )
}  # fmt: skip
_LETTERS = re.compile(r"[a-z]+")


def initial_class(syllable: str) -> str:
    """The class of a syllable's initial consonant ("0" for none, a glide or ng); the
    syllable in lower-case Latin letters, diacritics already folded."""
    for letters, klass in _INITIAL_CLASSES:
        if syllable.startswith(letters):
            return klass
    return "0"


@lru_cache(maxsize=200_000)
def initials_correspond(latin: str, reading: str) -> bool:
    """Whether a Latin syllable's initial and a reading's initial are the same or a known
    correspondence between Chinese languages; True when either has no letters to judge."""
    a, b = _LETTERS.search(latin), _LETTERS.search(reading)
    if a is None or b is None:
        return True
    ca, cb = initial_class(a.group()), initial_class(b.group())
    return ca == cb or frozenset((ca, cb)) in _CORRESPONDENCES
