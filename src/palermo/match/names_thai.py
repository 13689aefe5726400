"""Thai names in Latin letters: the rules Thai spellings follow that a model misses.

`names.thai_spellings` gives the spellings pythainlp produces (its thai2rom model, its RTGS
rules, both in passport habits). Three regularities of Thai orthography and of the way
Thai people write their names in Latin letters are added here (ADR 0016), each a rule
about the writing system, none a list of names:

- **Inherent vowels.** Thai writes no vowel after a consonant that carries the inherent
  "a": ศรัญ is sa-ran, but the RTGS rules write "sran", a cluster Thai does not have.
  Where a Thai-derived spelling starts with two consonants that are not a Thai cluster
  (kr, kl, kw, pr, pl, tr and their aspirated forms), the inherent "a" goes between them.
- **Silent final vowels.** In words from Pali and Sanskrit a final ติ ธิ ฒิ ทิ ฐิ ถิ is
  not pronounced (วุฒิ wut, ชาติ chat); the rules write it ("srawuthi").
- **Linking syllables.** A compound's linking vowel is pronounced but not written
  (เอกรัตน์ ek-ka-rat, เมขลา mek-kha-la); people write it by doubling the consonant and
  adding "a" (Ekkarat, Mekkhala, Witchaya), the models leave it out (ekrat, mekla). A Latin
  spelling with a doubled consonant and "a" is also compared without that syllable.
- **Informal spelling** (`thai_fold`, applied to both sides when a Latin name is compared
  with a Thai one): an "r" after a vowel marks a long vowel, not a sound (Porn = phon,
  Sasikarn = sasikan, Ornruedi = onruedi); a final "tr" is a "t" (Tanomjitr); aspirates
  lose their "h" (Phimsiri = Pimsiri, Kampaeng = Khampaeng, Theerarat = Teerarat).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA

# Initial consonant clusters Thai has (RTGS spellings, aspirates folded later): anything
# else at the start of a word was two syllables with an inherent vowel between them.
THAI_CLUSTERS = frozenset(
    {"kr", "kl", "kw", "khr", "khl", "khw", "pr", "pl", "phr", "phl", "tr", "thr"}
)
DIGRAPHS = ("ch", "kh", "ph", "th", "ng")
CONSONANT = "bcdfghjklmnpqrstvwxyz"
# A word-final ติ ธิ ฒิ ทิ ฐิ ถิ (with an optional silent ร or tone marks between): silent.
SILENT_FINAL_I = re.compile(r"[ตธฒทฐถ][\u0e48-\u0e4b]?\u0e34$")
# A leading ห before a low sonorant after a written-first vowel (เหมา, แหวน, ใหม่): ห นำ,
# a tone mark that is not pronounced. pythainlp's RTGS rules read it as a vowel and a
# consonant (เหมา -> "ema", เหลียง -> "eling"); without it they read the syllable (mao).
SILENT_HO = re.compile(
    r"(?<=[\u0e40-\u0e44])\u0e2b(?=[\u0e07\u0e0d\u0e19\u0e21\u0e22\u0e23\u0e25\u0e27])"
)
# A linking syllable in Latin: a consonant written twice (kk, mm, tt; or t + ch, k + kh,
# p + ph, t + th) followed by "a" and another consonant: ekKA-rat, wiTCHA-ya.
LINKING = re.compile(
    rf"([{CONSONANT}])(?:\1|(?<=t)ch|(?<=k)kh|(?<=p)ph|(?<=t)th)h?a(?=[{CONSONANT}])"
)
# Informal spelling: r after a vowel lengthens it (porn, karn, orn); a final tr is t.
VOWEL_R = re.compile(r"(?<=[aeiou])r(?=[^aeiou]|$)")
INFORMAL = (("ph", "p"), ("th", "t"), ("kh", "k"), ("j", "ch"), ("v", "w"))


def _initial_consonant(spelling: str) -> str:
    """The first consonant of a spelling, a digraph (ch, kh, ph, th, ng) as one."""
    if spelling[:2] in DIGRAPHS:
        return spelling[:2]
    return spelling[:1] if spelling[:1] and spelling[0] in CONSONANT else ""


def inherent_vowel(spelling: str) -> str:
    """A Thai-derived spelling with the inherent "a" put back between two initial
    consonants that Thai does not cluster: sran -> saran, srawut -> sarawut."""
    first = _initial_consonant(spelling)
    second = _initial_consonant(spelling[len(first) :]) if first else ""
    if not second or first + second in THAI_CLUSTERS or first + second[0] in THAI_CLUSTERS:
        return spelling
    return first + "a" + spelling[len(first) :]


def without_silent_final(word: str) -> str:
    """The Thai word without a silent final vowel (ศราวุฒิ -> ศราวุฒ), or itself."""
    return SILENT_FINAL_I.sub(lambda m: m.group(0)[:-1], word)


def rule_variants(word: str, rules: str) -> tuple[str, ...]:
    """Extra spellings of a Thai word from its RTGS-rules spelling (`rules`) and, for a
    silent final vowel, from the rules' spelling of the word without it."""
    from pythainlp.transliterate import romanize

    out = [inherent_vowel(rules)]
    if SILENT_HO.search(word):  # เหมา: the rules write "ema", the model "me"; it is mao
        unled = re.sub(r"[^a-z]", "", str(romanize(SILENT_HO.sub("", word), engine="royin")))
        out += [unled.lower()]
    shorter = without_silent_final(word)
    if shorter != word:
        cut = re.sub(r"[^a-z]", "", str(romanize(shorter, engine="royin")).lower())
        out += [cut, inherent_vowel(cut)]
    return tuple(form for form in out if form and form != rules)


def linking_variants(latin: str) -> tuple[str, ...]:
    """A Latin spelling without its written linking syllables: ekkarat -> ekrat,
    witchaya -> witya, mekkhala -> mekla (each and all at once)."""
    out = [LINKING.sub(r"\1", latin)]
    out += [latin[: m.start()] + m.group(1) + latin[m.end() :] for m in LINKING.finditer(latin)]
    return tuple(dict.fromkeys(form for form in out if form != latin))


@lru_cache(maxsize=200_000)
def thai_fold(spelling: str) -> str:
    """A spelling reduced to what Thai romanisations agree on (see the module's doc)."""
    spelling = re.sub(r"tr$", "t", spelling)
    spelling = VOWEL_R.sub("", spelling)
    for a, b in INFORMAL:
        spelling = spelling.replace(a, b)
    spelling = spelling.replace("ee", "i").replace("oo", "u").replace("ou", "u")
    return re.sub(r"(.)\1+", r"\1", spelling)


def lone_name_similarity(latin: str, spellings: tuple[str, ...]) -> float:
    """A single Latin name part against a Thai word's spellings: the share of letters
    that need no edit (OSA distance over the longer length), best over every spelling and
    the Latin part's linking-syllable variants, after `thai_fold`. Letters, not
    Jaro-Winkler: romanisations of different Thai names differ by one letter as often as
    romanisations of one name do after folding (ADR 0016)."""
    latins = {thai_fold(x) for x in (latin, *linking_variants(latin))}
    return max(
        (float(OSA.normalized_similarity(a, thai_fold(s))) for a in latins for s in spellings if s),
        default=0.0,
    )
