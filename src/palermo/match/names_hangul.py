"""Korean names in Latin letters, the ways they are written on documents.

A Hangul syllable is an initial consonant, a vowel and an optional final one (Unicode
composes them arithmetically, so no table of syllables is needed). One Korean name has
several Latin spellings:

- **Revised Romanisation** (South Korea since 2000): 김정은 Gim Jeong-eun, 박 Bak;
- **McCune-Reischauer** without its diacritics (South Korea before 2000, most Western
  literature): 정 Chong, 박 Pak, ㅓ/ㅡ written o/u (ŏ/ŭ without the breve);
- **North Korea's official system** (McCune-Reischauer based, j for ㅈ, r for ㄹ): Kim Jong
  Un, Ri Yong Ho, Choe Ryong Hae, Pak Pong Ju;
- **passport habits**: ㅓ as u (Jung, Sung), ㅕ as you (Hyun, Young), ㅜ as oo (Joon, Soo);
- **surnames**, which keep spellings older than any system (이 Lee/Yi/Rhee/Ri, 박 Park,
  김 Kim, 최 Choi/Choe, 정 Jung/Chung/Jong): a table of the common surnames, used only for
  the syllable that is the family name (a word of its own or the first of three or more).

The systems are the public rules of each (initials, vowels and finals per jamo); the table
holds the well-known surname spellings. Comparison keeps the best spelling per syllable and
says which system it came from (ADR 0016).
"""

from __future__ import annotations

import re
from functools import lru_cache

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _jamo_table(spellings: str) -> list[str]:
    """A row of jamo spellings in Unicode order, "-" for a silent initial or no final."""
    return spellings.split()


# Jamo in Unicode order: 19 initials, 21 vowels, 28 finals (index 0: none).
RR_INITIALS = _jamo_table("g kk n d tt r m b pp s ss - j jj ch k t p h")
MR_INITIALS = _jamo_table("k kk n t tt r m p pp s ss - ch tch ch k t p h")
NK_INITIALS = _jamo_table("k kk n t tt r m p pp s ss - j jj ch kh th ph h")
RR_VOWELS = _jamo_table("a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i")
MR_VOWELS = _jamo_table("a ae ya yae o e yo ye o wa wae oe yo u wo we wi yu u ui i")
PASSPORT_VOWELS = _jamo_table("a ae ya yae u e you ye o wa wae oe yo oo wo we wi yu eu ui i")
FINALS = _jamo_table("- k k k n n n t l k m l l l p l m p p t t ng t t k t p t")
SYSTEMS = (
    ("Revised Romanisation", RR_INITIALS, RR_VOWELS),
    ("McCune-Reischauer", MR_INITIALS, MR_VOWELS),
    ("North Korean", NK_INITIALS, MR_VOWELS),
    ("Korean passport", RR_INITIALS, PASSPORT_VOWELS),
)

# Common surnames as written on passports and in the press, beyond what the systems give
# (both 이 and the North's 리 are Lee/Yi/Rhee/Ri: the initial-sound rule differs by state).
SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("kim", "gim"), "이": ("lee", "yi", "rhee", "ri", "li"),
    "리": ("ri", "lee", "rhee", "yi", "li"), "박": ("park", "pak", "bak"),
    "최": ("choi", "choe", "chey"), "정": ("jung", "chung", "jeong", "jong", "chong"),
    "강": ("kang", "gang"), "조": ("cho", "jo", "joe"), "윤": ("yoon", "yun"),
    "장": ("jang", "chang"), "임": ("lim", "im", "rim"), "림": ("rim", "lim"),
    "한": ("han",), "오": ("oh", "o"), "서": ("seo", "suh", "so"), "신": ("shin", "sin"),
    "권": ("kwon", "gwon"), "황": ("hwang",), "안": ("ahn", "an"), "송": ("song",),
    "류": ("ryu", "yoo", "yu", "rhyu"), "유": ("yoo", "yu", "ryu"),
    "전": ("jeon", "chun", "jun", "chon"),
    "홍": ("hong",), "고": ("ko", "go", "koh"), "문": ("moon", "mun"),
    "양": ("yang", "ryang"), "량": ("ryang", "yang"), "손": ("son", "sohn"),
    "배": ("bae", "pae"), "백": ("baek", "paek", "paik"), "허": ("heo", "hur", "huh", "ho"),
    "노": ("noh", "roh", "no", "ro"), "로": ("ro", "roh", "noh"), "남": ("nam",),
    "하": ("ha",), "곽": ("kwak", "gwak"), "성": ("sung", "seong", "song"),
    "차": ("cha",), "주": ("joo", "ju", "chu"), "우": ("woo", "u"), "구": ("koo", "ku", "gu"),
    "민": ("min",), "나": ("na", "ra"), "라": ("ra", "na"), "진": ("jin", "chin"),
    "지": ("ji", "chi"), "엄": ("eom", "um", "om"), "채": ("chae",), "원": ("won",),
    "천": ("cheon", "chun", "chon"), "방": ("bang", "pang"), "공": ("kong", "gong"),
    "현": ("hyun", "hyeon", "hyon"), "함": ("ham",), "변": ("byun", "byeon", "pyon"),
    "염": ("yeom", "yum", "yom"), "여": ("yeo", "yo", "ryo"), "추": ("choo", "chu"),
    "도": ("do", "to"), "석": ("seok", "suk", "sok"), "선": ("sun", "seon", "son"),
    "설": ("seol", "sul", "sol"), "길": ("gil", "kil"), "연": ("yeon", "yon"),
    "위": ("wi", "wee"), "표": ("pyo",), "명": ("myung", "myeong", "myong"),
    "기": ("ki", "gi"), "반": ("ban", "pan"), "왕": ("wang",), "금": ("keum", "kum", "geum"),
    "육": ("yook", "yuk", "ryuk"), "인": ("in",), "탁": ("tak",), "국": ("kook", "kuk", "guk"),
    "용": ("yong", "ryong"), "룡": ("ryong", "yong"), "편": ("pyeon", "pyun", "pyon"),
}  # fmt: skip
COMPOUND_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방")


def has_hangul(text: str) -> bool:
    return HANGUL.search(text) is not None


def _jamo(syllable: str) -> tuple[int, int, int]:
    index = ord(syllable) - 0xAC00
    return index // 588, (index % 588) // 28, index % 28


@lru_cache(maxsize=20_000)
def syllable_spellings(syllable: str, surname: bool) -> tuple[tuple[str, str], ...]:
    """(spelling, system) of one Hangul syllable, surname spellings first when it is the
    family name, then each system's; no duplicates."""
    initial, vowel, final = _jamo(syllable)
    out: list[tuple[str, str]] = []
    if surname:
        out.extend((s, "Korean surname") for s in SURNAMES.get(syllable, ()))
    for system, initials, vowels in SYSTEMS:
        spelled = (initials[initial] + vowels[vowel] + FINALS[final]).replace("-", "")
        out.append((spelled, system))
    seen: dict[str, str] = {}
    for spelling, system in out:
        seen.setdefault(spelling, system)
    return tuple(seen.items())


def _syllables(name: str) -> list[tuple[str, bool]]:
    """Each Hangul syllable with whether it is (part of) the family name: a one-syllable
    word, or the first syllable of a word of three or more (김정은), or a compound
    surname's two (남궁민)."""
    out = []
    for word in name.split():
        syllables = HANGUL.findall(word)
        compound = 2 if "".join(syllables[:2]) in COMPOUND_SURNAMES and len(syllables) > 2 else 0
        for i, syllable in enumerate(syllables):
            family = len(syllables) == 1 or (len(syllables) >= 3 and i == 0) or i < compound
            out.append((syllable, family))
    return out


@lru_cache(maxsize=50_000)
def hangul_readings(name: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Per syllable of a Korean name, its spellings (see `syllable_spellings`)."""
    return tuple(syllable_spellings(s, family) for s, family in _syllables(name))


@lru_cache(maxsize=50_000)
def hangul_forms(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The whole name in each system, one part per word (a given name glued, as in
    "Jongun"; 김정은 split into family and given name), the family name in its commonest
    spelling: for Latin names written without hyphens or spaces between syllables."""
    words = [w for w in (_syllables(word) for word in name.split()) if w]
    if len(words) == 1 and len(words[0]) >= 3:
        family = sum(1 for _, is_family in words[0] if is_family)
        words = [words[0][:family], words[0][family:]]
    return tuple(
        (system, tuple(_spell(word, initials, vowels) for word in words))
        for system, initials, vowels in SYSTEMS
    )


def _spell(syllables: list[tuple[str, bool]], initials: list[str], vowels: list[str]) -> str:
    out = ""
    for syllable, family in syllables:
        common = SURNAMES.get(syllable, ()) if family else ()
        if common:
            out += common[0]
            continue
        i, v, f = _jamo(syllable)
        out += (initials[i] + vowels[v] + FINALS[f]).replace("-", "")
    return out
