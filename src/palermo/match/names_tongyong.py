"""Tongyong Pinyin: how Taiwan wrote Mandarin from 2002 to 2008, and still does in places.

Many Taiwanese passports, household registers and addresses of those years spell names in
Tongyong Pinyin (新莊 Sinjhuang, 中壢 Jhongli, 謝 Sie, 張志清 Jhang Jhih-cing), which
neither pypinyin nor ToJyutping produce. About a fifth of Mandarin syllables are written
differently from Hanyu Pinyin (Tsai 2000: 19.47% of 406 syllable types): j/q/x are j/c/s,
zh is jh, the "buzzing" vowel is ih (shih, sih, zih), -iu and -ui are -iou and -uei, ü is yu
after any consonant (jyu, lyu), feng and weng are fong and wong, wen is wun.

`HANYU_TO_TONGYONG` holds exactly those syllables, keyed by toneless Hanyu Pinyin (ü as ü):
the syllables whose Hanyu and Tongyong columns differ in pinyin4j's published romanisation
table (`src/main/resources/pinyindb/pinyin_mapping.xml`, 410 syllables, 83 differing; the
pinyin4j project, BSD/GPL-2.0-or-later, as mirrored at github.com/belerweb/pinyin4j 502f1e7).
It was extracted from that file, not typed in; the tests check it against the published
rules above. Only these syllables are spelled differently in a name's Tongyong form
(`names_han.tongyong_form`): a syllable spelled alike in both systems is already read as
pinyin, and a name none of whose syllables differ gets no Tongyong form at all (ADR 0043).
"""

from __future__ import annotations

# Extracted from pinyin4j's pinyin_mapping.xml: rows whose <Hanyu> and <Tongyong> differ
# (u: written ü). Do not edit by hand; see the module docstring.
HANYU_TO_TONGYONG: dict[str, str] = {
    "chi": "chih", "chui": "chuei", "qi": "ci", "qia": "cia", "qian": "cian", "qiang": "ciang",
    "qiao": "ciao", "qie": "cie", "ci": "cih", "qin": "cin", "qing": "cing", "qiu": "ciou",
    "cui": "cuei", "qiong": "cyong", "qu": "cyu", "quan": "cyuan", "que": "cyue", "qun": "cyun",
    "diu": "diou", "dui": "duei", "feng": "fong", "gui": "guei", "hui": "huei", "zha": "jha",
    "zhai": "jhai", "zhan": "jhan", "zhang": "jhang", "zhao": "jhao", "zhe": "jhe",
    "zhei": "jhei", "zhen": "jhen", "zheng": "jheng", "zhi": "jhih", "zhong": "jhong",
    "zhou": "jhou", "zhu": "jhu", "zhua": "jhua", "zhuai": "jhuai", "zhuan": "jhuan",
    "zhuang": "jhuang", "zhui": "jhuei", "zhun": "jhun", "zhuo": "jhuo", "jiu": "jiou",
    "jiong": "jyong", "ju": "jyu", "juan": "jyuan", "jue": "jyue", "jun": "jyun", "kui": "kuei",
    "liu": "liou", "lü": "lyu", "lüe": "lyue", "lün": "lyun", "miu": "miou", "niu": "niou",
    "nü": "nyu", "nüe": "nyue", "ri": "rih", "rui": "ruei", "shi": "shih", "shui": "shuei",
    "xi": "si", "xia": "sia", "xian": "sian", "xiang": "siang", "xiao": "siao", "xie": "sie",
    "si": "sih", "xin": "sin", "xing": "sing", "xiu": "siou", "sui": "suei", "xiong": "syong",
    "xu": "syu", "xuan": "syuan", "xue": "syue", "xun": "syun", "tui": "tuei", "weng": "wong",
    "wen": "wun", "zi": "zih", "zui": "zuei",
}  # fmt: skip


def tongyong(hanyu: str) -> str | None:
    """The Tongyong spelling of one toneless Hanyu Pinyin syllable (ü as ü or v), or None
    when Tongyong writes it the same way: callers add a reading only where it differs."""
    return HANYU_TO_TONGYONG.get(hanyu.lower().replace("v", "ü"))
