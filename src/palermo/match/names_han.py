"""Chinese characters in Latin letters, the ways people actually write them.

One Chinese name has many Latin spellings: Mandarin pinyin (mainland, 陈 Chen), Wade-Giles
(Taiwan passports, 徐 Hsu, 蔡 Tsai), Cantonese in the Hong Kong government style (陳 Chan,
張 Cheung, 翠 Tsui), Macao's Portuguese-based style (唐曉晴 Tong Io Cheng) and the
Hokkien/Teochew/Hakka surnames of Malaysian and Singaporean passports (陳 Tan, 林 Lim,
黃 Ng/Wee/Ong) and their Hokkien given names (林文興 Lim Boon Heng). Readings come from
maintained data: pypinyin (Mandarin, with heteronyms, and its Wade-Giles style), ToJyutping
(Cantonese Jyutping) and taibun (Hokkien, `names_hokkien`); the Hong Kong and Macao
spellings are derived from Jyutping by the public rules of those systems, the Hokkien ones
from Tai-lo by the passport habit, and the southern surname spellings are a small table of
well-known surnames (Teochew and Hakka ones included, which taibun does not read).
Comparison keeps the best reading per character and says which one it used.
Taiwan's Tongyong Pinyin (新莊 Sinjhuang) is a whole-name form only (`tongyong_form`,
from pinyin4j's published syllable table in `names_tongyong`; ADR 0043). A character that
reads differently as a family name (单 Shan, not dan; 曾 Zeng, not ceng; 尉迟 Yuchi) reads
that way first in the family-name position (`names_han_surnames`, from pinyin-pro's surname
table; ADR 0050); its other readings stay.

Names of foreigners written in characters (唐纳德·特朗普, Donald Trump) are a syllabary
transcription; they are compared by sound classes (`sound_key`) that ignore the vowels
Chinese inserts between consonants (te-lang-pu ~ trump). A double-barrelled name keeps its
hyphen there (`transcription_pieces`). A Latin syllable whose initial consonant no known
correspondence links to a character's readings is not that character
(`names_han_initials`, ADR 0053).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from palermo.match.names_han_surnames import SURNAME_READINGS as FAMILY_READINGS
from palermo.match.names_hokkien import hokkien_spellings
from palermo.match.names_tongyong import tongyong

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SEPARATORS = re.compile(r"[·・•‧\u00b7\u30fb\s,，、.]+")
MAX_READINGS = 3  # heteronyms per character and system; names use the common ones

# Jyutping -> Hong Kong government romanisation (the spelling on HKSAR documents).
HK_INITIALS = {"b": "p", "d": "t", "g": "k", "gw": "kw", "z": "ch", "c": "ch", "j": "y"}
HK_FINALS = {
    "aa": "a", "aai": "ai", "aau": "au", "aam": "am", "aan": "an", "aang": "ang",
    "aap": "ap", "aat": "at", "aak": "ak", "ou": "o", "oe": "eu", "oeng": "eung",
    "oek": "euk", "eoi": "ui", "eon": "un", "eot": "ut", "yu": "u", "yun": "uen",
    "yut": "uet", "ei": "ei", "u": "oo",
}  # fmt: skip
# Macao's Portuguese-based style: au -> ao, oeng -> eong, w -> v, iu -> io, ing -> eng.
MACAO_FINALS = {**HK_FINALS, "au": "ao", "aau": "ao", "oeng": "eong", "iu": "io", "ing": "eng"}
MACAO_INITIALS = {**HK_INITIALS, "w": "v", "j": "i"}
JYUTPING_INITIALS = ("gw", "kw", "ng", *"bpmfdtnlgkhwzcsj")

# Hokkien, Teochew, Hakka and Cantonese spellings of common surnames as Malaysian and
# Singaporean passports write them (well-known public forms, both character sets).
SOUTHERN_SURNAMES: dict[str, tuple[str, ...]] = {
    "陳陈": ("tan", "chin", "chan"), "林": ("lim", "lam"), "黃黄": ("ng", "wee", "ong", "wong"),
    "王": ("ong", "wong"), "吳吴": ("goh", "ng", "ung"), "李": ("lee", "li"),
    "張张": ("teo", "teoh", "chong", "cheong"), "劉刘": ("lau", "low", "liew"),
    "楊杨": ("yeo", "yeoh", "yong", "yang"), "許许": ("koh", "khoo", "hii"),
    "鄭郑": ("tay", "teh", "chang", "cheng"), "蔡": ("chua", "choi", "chai"),
    "謝谢": ("chia", "seah", "cheah", "chia"), "郭": ("kuek", "kok", "quek", "kwek"),
    "洪": ("ang", "hung"), "邱丘": ("khoo", "khor", "hiew"), "曾": ("chan", "tsang", "chang"),
    "廖": ("liau", "leow", "liew"), "賴赖": ("lai", "nai"), "徐": ("chee", "tsui", "hsu"),
    "周": ("chew", "chow", "chiew"), "葉叶": ("yap", "yip", "ip"), "蘇苏": ("soh", "so"),
    "莊庄": ("chng", "chong"), "呂吕": ("lu", "loo", "lui"), "江": ("kang", "kong"),
    "何": ("ho", "hoe"), "羅罗": ("loh", "lo"), "高": ("koh", "ko", "kou"),
    "蕭萧": ("siow", "siew", "seow"), "潘": ("phua", "poon", "phoon"), "朱": ("choo", "chu"),
    "鍾钟": ("chong", "cheng", "choong"), "彭": ("phang", "pang"), "游": ("yew", "yu"),
    "胡": ("oh", "woo", "foo"), "施": ("si", "sze"), "沈": ("sim", "shum"),
    "余": ("yee", "ee", "er", "yu"), "趙赵": ("teo", "chio", "chiu"),
    "盧卢": ("lo", "loh", "loo"), "梁": ("neo", "leong", "niu", "liang"),
    "顏颜": ("gan", "ngan"), "柯": ("kua", "kwa", "ko"), "孫孙": ("sng", "soon", "sun"),
    "魏": ("gwee", "ngui", "wei"), "翁": ("ung", "ang", "yong"), "戴": ("tay", "tai"),
    "方": ("png", "hong", "fong"), "宋": ("song", "soong"), "鄧邓": ("teng", "tang"),
    "杜": ("toh", "too"), "侯": ("kow", "hau"), "曹": ("chow", "chor", "cho"),
    "白": ("peh", "pek"), "馮冯": ("fung", "pang", "foong"), "傅": ("poh", "foo"),
    "姚": ("yeo", "yiu", "yew"), "唐": ("tng", "tong"), "董": ("tang", "tung"),
    "連连": ("liang", "lian", "lien"), "馬马": ("beh", "mah", "ma"), "辜": ("koo",),
    "溫温": ("woon", "boon", "voon"), "陸陆": ("loke", "luk"), "鄺邝": ("kwong",),
    "饒饶": ("yeow", "jao"), "黎": ("lai", "loy"), "龔龚": ("kong",), "范": ("fan", "hoan"),
}  # fmt: skip
SURNAME_READINGS = {
    char: spellings for chars, spellings in SOUTHERN_SURNAMES.items() for char in chars
}


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


def _split_jyutping(syllable: str) -> tuple[str, str]:
    for initial in JYUTPING_INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial) :]
    return "", syllable  # a, m, ng: syllables without an initial


def hk_spelling(jyutping: str, macao: bool = False) -> str:
    """A Jyutping syllable in the Hong Kong (or Macao) government style: zoeng1 -> cheung."""
    initial, final = _split_jyutping(jyutping.rstrip("123456"))
    initials, finals = (MACAO_INITIALS, MACAO_FINALS) if macao else (HK_INITIALS, HK_FINALS)
    if macao and initial == "h" and final.startswith("i"):
        initial = ""  # 曉 hiu -> io
    spelled = initials.get(initial, initial) + finals.get(final, final)
    if not macao and initial in ("s", "z", "c") and final == "i":
        spelled = {"s": "sze", "z": "chi", "c": "chi"}[initial]
    return spelled


@lru_cache(maxsize=50_000)
def pinyin_readings(char: str) -> tuple[str, ...]:
    """A character's Mandarin readings in toneless pinyin (ü kept), most common first."""
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, v_to_u=True)[0]
    return tuple(found[:MAX_READINGS])


def _wade_giles(reading: str) -> str:
    return re.sub(r"[^a-z]", "", reading.replace("v", "u"))


def _cantonese_spellings(jyutping: str) -> list[tuple[str, str]]:
    """A Jyutping syllable as Hong Kong (also with ts for ch) and Macao documents spell it."""
    out = [(hk_spelling(jyutping), "Cantonese (Hong Kong)")]
    if jyutping[0] in "zc":
        out.append((hk_spelling(jyutping).replace("ch", "ts", 1), "Cantonese (Hong Kong)"))
    out.append((hk_spelling(jyutping, macao=True), "Cantonese (Macao)"))
    return out


@lru_cache(maxsize=50_000)
def _system_readings(char: str) -> tuple[tuple[str, str], ...]:
    """(spelling, system) for one character in every system, most common first per system,
    duplicates across systems kept (`char_readings` drops them)."""
    import ToJyutping  # type: ignore[import-untyped]
    from pypinyin import Style, pinyin

    out: list[tuple[str, str]] = []
    readings = pinyin_readings(char)
    out.extend((reading.replace("ü", "u"), "pinyin") for reading in readings)
    for reading in pinyin(char, style=Style.WADEGILES, heteronym=True)[0][:MAX_READINGS]:
        out.append((_wade_giles(reading), "Wade-Giles"))
    candidates = ToJyutping.get_jyutping_candidates(char)
    for jyutping in (candidates[0][1] if candidates else [])[:MAX_READINGS]:
        out.extend(_cantonese_spellings(jyutping))
    return tuple(out)


@lru_cache(maxsize=5_000)
def _family_spellings(mandarin: str, jyutping: str) -> tuple[tuple[str, str], ...]:
    """A character's reading as a family name in every system: the pinyin from the surname
    table, its Wade-Giles (pypinyin's converter) and, where the table names one, the
    Hong Kong and Macao spellings of its Jyutping (单 shan, shan, sin, sin)."""
    from pypinyin import Style
    from pypinyin.style import convert

    out = [(mandarin.replace("ü", "u"), "pinyin")]
    wade_giles = convert(mandarin.replace("ü", "v"), Style.WADEGILES, strict=False)
    out.append((_wade_giles(str(wade_giles)), "Wade-Giles"))
    if jyutping:
        out.extend(_cantonese_spellings(jyutping))
    return tuple(out)


def _family_entry(name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The surname table's entry for the family name of a native Chinese name (one run of
    two to four characters, ADR 0038): a compound surname (尉迟) when a given name follows
    it, else the first character (单). None for other names: 查尔斯·狄更斯 transcribes
    Charles Dickens, and its 查 is cha."""
    chars = han_chars(name)
    if not _native_shape(name):
        return None
    for size in (2, 1):
        if len(chars) > size and (entry := FAMILY_READINGS.get("".join(chars[:size]))):
            return entry
    return None


def _family_name_readings(name: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The family-name readings of the first one or two characters of a native name, one
    tuple per character of the family name; empty when it starts with no such surname."""
    entry = _family_entry(name)
    if entry is None:
        return ()
    return tuple(_family_spellings(m, j) for m, j in zip(*entry, strict=True))


def _unique(options: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for spelling, system in options:
        if spelling and spelling not in seen:
            seen[spelling] = system
    return tuple(seen.items())


@lru_cache(maxsize=50_000)
def _readings(char: str, southern: bool, family: bool) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if family and (entry := FAMILY_READINGS.get(char)):
        out.extend(_family_spellings(entry[0][0], entry[1][0]))
    out.extend(_system_readings(char))
    if southern:
        out.extend((s, "Hokkien/Teochew surname") for s in SURNAME_READINGS.get(char, ()))
    # Hokkien as passports spell it (names_hokkien), last: a family name's well-known
    # spelling names its system first (陳 Tan: Hokkien/Teochew surname).
    out.extend((spelling, "Hokkien") for spelling in hokkien_spellings(char))
    return _unique(out)


def char_readings(char: str, surname: bool) -> tuple[tuple[str, str], ...]:
    """(spelling, system) for one character, most common first, without duplicates. As a
    family name (`surname`), its reading as one first (单 shan, sin before dan, daan) and the
    Hokkien/Teochew spellings last."""
    return _readings(char, surname, surname)


def han_chars(name: str) -> tuple[str, ...]:
    return tuple(HAN.findall(name))


@lru_cache(maxsize=100_000)
def native_readings(name: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Per character of a Chinese name, its readings; surname readings at either end
    (family name first in Chinese, last in some Latin renderings), and the second
    character of a compound surname (尉迟 chi) read as the family name reads it."""
    chars = han_chars(name)
    family = _family_name_readings(name)
    out = []
    for i, c in enumerate(chars):
        # the last character: southern surname spellings, not readings as a family name
        readings = _readings(c, i in (0, len(chars) - 1), family=i == 0 and _native_shape(name))
        if i < len(family):
            readings = _unique((*family[i], *readings))
        out.append(readings)
    return tuple(out)


@lru_cache(maxsize=100_000)
def _family_first(name: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """`native_readings` with the family name's spelling in every system in front (ADR
    0050), duplicates kept there so each system finds its own (单: shan in pinyin and in
    Wade-Giles, sin in both Cantonese styles): what the whole-name forms take their first
    reading from. Other characters are picked from as before."""
    family = _family_name_readings(name)
    return tuple(
        (*family[i], *options) if i < len(family) else options
        for i, options in enumerate(native_readings(name))
    )


@lru_cache(maxsize=100_000)
def system_forms(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The whole name in each single system (first reading per character, the family
    name's reading as a family name: 单田芳 shan-tian-fang, not dan): glued and hyphenated
    spellings (Ying-jeou, Yingjeou, Shantianfang) compare against these."""
    readings = _family_first(name)
    systems = ("pinyin", "Wade-Giles", "Cantonese (Hong Kong)", "Cantonese (Macao)")
    forms = []
    for system in systems:
        parts = []
        for options in readings:
            picked = next((s for s, sys_ in options if sys_ == system), options[0][0])
            parts.append(picked)
        forms.append((system, tuple(parts)))
    return tuple(forms)


@lru_cache(maxsize=100_000)
def tongyong_form(name: str) -> tuple[str, ...] | None:
    """The whole name in Tongyong Pinyin (first reading per character), or None when
    Tongyong writes every syllable as pinyin does (ADR 0043). A whole-name form only, never
    a per-character reading: a name is written in one system, and Tongyong syllables mixed
    with other systems' readings character by character (si, jhen, fong beside Cantonese
    sin and on) raised false hits on the real pairs. Kept apart from `system_forms`, whose
    forms the privacy-preserving encodings publish (`pprl`)."""
    entry = _family_entry(name)
    family = entry[0] if entry else ()
    chars = han_chars(name)
    firsts = [*family, *(pinyin_readings(c)[0] for c in chars[len(family) :])]
    form = tuple(tongyong(r) or r.replace("ü", "u") for r in firsts)
    return form if any(tongyong(r) for r in firsts) else None


@lru_cache(maxsize=100_000)
def comparison_forms(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`system_forms` and, where it differs, the Tongyong form: what a Latin name is
    compared with as a whole, so a glued Tongyong name (Sinjhuang) is explained in its own
    system rather than by sound classes."""
    form = tongyong_form(name)
    return system_forms(name) + ((("Tongyong", form),) if form else ())


@lru_cache(maxsize=100_000)
def transcription_words(name: str) -> tuple[str, ...]:
    """A transcribed foreign name as glued pinyin per written word: 唐纳德·特朗普 ->
    ('tangnade', 'telangpu')."""
    from pypinyin import Style, lazy_pinyin

    words = [w for w in SEPARATORS.split(name) if has_han(w)]
    glued = ("".join(lazy_pinyin(w, style=Style.NORMAL, v_to_u=True)) for w in words)
    return tuple(word.replace("ü", "u") for word in glued)


HYPHENS = re.compile(r"[-\u2010-\u2013\uff0d]+")


@lru_cache(maxsize=100_000)
def transcription_pieces(name: str) -> tuple[tuple[str, int], ...]:
    """`transcription_words` with a double-barrelled word split at its hyphen, which
    Chinese keeps (托宁-施密特, Thorning-Schmidt: each side transcribes one Latin word;
    ADR 0053), each piece with its number of characters: 托宁-施密特 -> (('tuoning', 2),
    ('shimite', 3))."""
    words = [w for w in SEPARATORS.split(name) if has_han(w)]
    pieces = [piece for w in words for piece in HYPHENS.split(w) if has_han(piece)]
    return tuple((transcription_words(piece)[0], len(han_chars(piece))) for piece in pieces)


# Sound classes: transcription keeps consonants (and their order) but not vowels, voicing
# or the l/r distinction Chinese lacks. Pinyin j, q, x stand for Latin k/g, ch/ts and s/h
# before i, so a pinyin word has a key per reading of them.
_PINYIN_COMMON = (("zh", "j"), ("ch", "j"), ("sh", "s"))
PINYIN_SOUNDS = (
    (*_PINYIN_COMMON, ("x", "s"), ("q", "j"), ("c", "s"), ("z", "s")),
    (*_PINYIN_COMMON, ("x", "s"), ("q", "k"), ("j", "k"), ("c", "s"), ("z", "s")),
    (*_PINYIN_COMMON, ("x", "h"), ("q", "k"), ("j", "k"), ("c", "s"), ("z", "s")),
)
LATIN_SOUNDS = (
    ("chr", "kr"), ("ge", "je"), ("gi", "ji"), ("ce", "se"), ("ci", "si"), ("cy", "si"),
    ("tsch", "j"), ("sch", "s"), ("ch", "j"), ("sh", "s"), ("ph", "f"), ("th", "t"),
    ("ck", "k"), ("qu", "k"), ("ts", "s"), ("tz", "s"), ("dj", "j"), ("x", "ks"),
)  # fmt: skip
# ch is k in Michael and Christoph, th is s in English names as Chinese hears them (Smith 史密斯)
LATIN_VARIANTS = (LATIN_SOUNDS, (("ch", "k"), ("th", "s"), *LATIN_SOUNDS))
CLASSES = str.maketrans("bpdtgkqcfvwzjslrnmh", "PPTTKKKKFFFSSSLLNNH")


def _key(word: str, sounds: tuple[tuple[str, str], ...]) -> str:
    word = re.sub(r"(.)\1+", r"\1", word)
    for a, b in sounds:
        word = word.replace(a, b)
    word = word.replace("ng", "n")
    classes = re.sub(r"([A-Z])\1+", r"\1", word.translate(CLASSES))  # adjacent only
    return "".join(c for c in classes if c.isupper() and c != "H")


@lru_cache(maxsize=200_000)
def sound_keys(word: str, pinyin: bool) -> tuple[str, ...]:
    """Consonant classes of a word, vowels dropped: trump -> TLNP and telangpu -> TLNP;
    'ng' and 'm' count as n (Mandarin syllables end only in n, ng). Doubled letters count
    once, but consonants with a vowel between them stay two (Mohd is not Mohamohada).
    Pinyin words get one key per reading of j/q/x (jixinge ~ Kiesinger), Latin words one
    per reading of ch and th."""
    variants = PINYIN_SOUNDS if pinyin else LATIN_VARIANTS
    return tuple(dict.fromkeys(_key(word, sounds) for sounds in variants))


ABJAD_SOUNDS = (("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"), ("sh", "s"), ("ch", "j"))


@lru_cache(maxsize=200_000)
def abjad_keys(word: str) -> tuple[str, ...]:
    """Sound keys of an Arabic-script word's transliteration (jwnz for جونز, Jones).
    The letters w and y there are as often the vowels u/o and i/e as consonants, so one
    key drops them and one keeps them."""
    dropped = re.sub(r"[wy]", "", word)
    keys = (_key(dropped, ABJAD_SOUNDS), _key(word, ABJAD_SOUNDS))
    return tuple(dict.fromkeys(k for k in keys if k))


NATIVE_NAME_CHARS = (2, 4)  # a Chinese name: a one-character family name and one to three more


def _first_in(options: Iterable[tuple[str, str]], system: str) -> str:
    return next((spelling for spelling, sys_ in options if sys_ == system), "")


def _native_shape(name: str) -> bool:
    """One run of two to four characters: how a Chinese person's name is written."""
    words = [w for w in SEPARATORS.split(name) if has_han(w)]
    count = len(han_chars(name))
    return len(words) == 1 and NATIVE_NAME_CHARS[0] <= count <= NATIVE_NAME_CHARS[1]


@lru_cache(maxsize=100_000)
def family_name_split(name: str) -> tuple[tuple[str, ...], str] | None:
    """A name written as one run of two to four characters, split into the spellings of
    its first character as a family name and the given-name characters after it:
    李智陞 -> (('li', 'lee', 'lei', ...), '智陞'). None for a longer run or a name with a
    separator (唐纳德·特朗普 transcribes a foreigner, first character and all)."""
    chars = han_chars(name)
    if not _native_shape(name):
        return None
    family = _family_name_readings(name)
    if len(family) == 2:  # a compound surname, glued as passports write it: 尉迟 Yuchi
        systems = dict.fromkeys(system for _, system in family[0])
        both = ((_first_in(family[0], s), _first_in(family[1], s)) for s in systems)
        glued = (first + second for first, second in both if first and second)
        return tuple(dict.fromkeys(glued)), "".join(chars[2:])
    spellings = tuple(spelling for spelling, _ in char_readings(chars[0], surname=True))
    return spellings, "".join(chars[1:])


# One syllable of Chinese in any Latin system passports use (pinyin, Wade-Giles, Hong Kong
# and Macao Cantonese, Hokkien/Hakka spellings): an initial, a vowel group with at least one
# true vowel, a final of n, ng, m, w (Hokkien siew) or a stop; or a syllable without a vowel
# (Hokkien hng, Cantonese ng and m, Hong Kong tsz).
_INITIAL = r"(?:chh|ch|sh|zh|ts|tz|sz|hs|kw|gw|ng|ph|th|kh|[bcdfghjklmnpqrstvwxyz])"
_SYLLABLE = rf"(?:{_INITIAL}?[aeiouy]*[aeiou][aeiouy]*r?(?:ng|n|m|w|p|t|k|h)?|h?ng|m|t?sz)"
CHINESE_SYLLABLES = re.compile(rf"(?:{_SYLLABLE})+")


@lru_cache(maxsize=100_000)
def spells_chinese_syllables(word: str) -> bool:
    """Whether a Latin word can be read as Chinese syllables (hng, kiang, cheuk, yingjeou)
    rather than only as a Western given name (Kenneth, Desmond, Emily, Fernando), which
    stands beside a Chinese name in Hong Kong and Singapore and transcribes none of it."""
    return CHINESE_SYLLABLES.fullmatch(word) is not None
