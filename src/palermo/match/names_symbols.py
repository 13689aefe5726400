"""One name in another form: nicknames, Latin forms and the same name in another script.

Spelling and reading rules cannot tell that Dick is Richard, Ludovicus is Louis or 爱德华 is
Edward: those are equivalences of use, not of letters. rigour (the library OpenSanctions'
matcher is built on) tags person-name parts with symbols: `NAME:Q…` for a Wikidata
given-name or family-name item, whose labels and aliases in every language and script are
the same name, and `NICK:…` for an entry of its nickname table (`NICK:DICK` on both "dick"
and "richard"). Two parts sharing a symbol are one name in two forms. ADR 0055.

A nickname is shared by every name it shortens ("ed" for Edward, Edgar and Edmund), so a
`NICK` symbol counts only when one of the two parts *is* that nickname: Ed ~ Edward, never
Edgar ~ Edward.

rigour's tagger loads its tables on first use (seconds, once per process) and then costs a
tenth of a millisecond per name, so symbols are read once per name (cached) and only
asked for when spelling alone leaves a name short of a match (see `names.name_similarity`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rigour.names import NameTypeTag, Symbol, analyze_names

NAME_SYMBOL = 0.9  # one Wikidata name item: the same name in another language or script
NICKNAME = 0.85  # a nickname and the name it shortens: usual, but not the same name
# Word separators as rigour splits a person's name (a space, the Chinese and Japanese
# middle dots of transcribed foreign names, a hyphen); rigour's parts are matched to these
# words by position and a name split differently gets no symbols.
WORDS = re.compile(r"[\s·・‧•\-‐,]+")


@dataclass(frozen=True)
class SymbolPart:
    """One word of a name as written, rigour's normalised form of it, and its symbols
    (`n:<id>` for a name item, `k:<nickname>` for a nickname)."""

    word: str
    form: str
    symbols: frozenset[str]


@dataclass(frozen=True)
class NameSymbols:
    parts: tuple[SymbolPart, ...]
    every: frozenset[str]  # all parts' symbols: one disjointness test rules most pairs out


NO_SYMBOLS = NameSymbols((), frozenset())


@lru_cache(maxsize=200_000)  # screening asks for the same indexed names again and again
def name_symbols(name: str) -> NameSymbols:
    """The words of a person's name with the given-name and family-name symbols rigour
    tags them with (none when rigour splits the name otherwise than into its words)."""
    words = [w for w in WORDS.split(name) if w]
    if not words:
        return NO_SYMBOLS
    analysed = analyze_names(
        NameTypeTag.PER,
        [name],
        consolidate=False,
        phonetics=False,
        numerics=False,
        rewrite=False,
    )
    if len(analysed) != 1:
        return NO_SYMBOLS
    (found,) = analysed
    if len(found.parts) != len(words):
        return NO_SYMBOLS
    symbols: list[set[str]] = [set() for _ in words]
    for span in found.spans:
        if len(span.parts) != 1:  # a symbol over several words ("al hassan"): not one part
            continue
        category = span.symbol.category
        if category == Symbol.Category.NAME:
            symbols[span.parts[0].index].add(f"n:{span.symbol.id}")
        elif category == Symbol.Category.NICK:
            symbols[span.parts[0].index].add(f"k:{str(span.symbol.id).casefold()}")
    parts = tuple(
        SymbolPart(word, part.form, frozenset(syms) if _worded(word) else frozenset())
        for word, part, syms in zip(words, found.parts, symbols, strict=True)
    )
    every = frozenset(s for part in parts for s in part.symbols)
    return NameSymbols(parts, every) if every else NameSymbols(parts, frozenset())


def _worded(word: str) -> bool:
    """Whether a word's symbols say anything. A single Chinese character or Hangul
    syllable is a family name (楊, 金, 김) whose Wikidata items link it to every
    romanisation of it (楊 Yung, Yeung, Yang): the character readings compare those, with
    the rest of the name as context (ADR 0050, 0053); alone the symbol would pair 楊 with a
    Latin "Yung" given name of another person."""
    return len(word) > 1 or word.isascii()


def symbol_level(a: SymbolPart, b: SymbolPart) -> float:
    """How far a shared symbol makes two name parts the same name: `NAME_SYMBOL` for a
    shared name item, `NICKNAME` for a nickname and a name it shortens, 0 otherwise."""
    shared = a.symbols & b.symbols
    if not shared:
        return 0.0
    if any(s.startswith("n:") for s in shared):
        return NAME_SYMBOL
    if any(s[2:] in (a.form, b.form) for s in shared):
        return NICKNAME
    return 0.0


def may_share(a: str, b: str) -> bool:
    """Whether two names have any symbol in common (cheap: one set test per pair)."""
    return not name_symbols(a).every.isdisjoint(name_symbols(b).every)
