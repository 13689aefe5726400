"""Whether Latin parts with glued syllables (Kaneng, Yingjeou) can spell a Chinese name.

A Chinese given name is often written as one Latin word (Ma Yingjeou, Wong Kaneng): one
part then holds the syllables of several characters, and the one-part-per-character
initials check (`names_han_initials`, ADR 0053, 0056) cannot pair it. Letters alone let
such a part pass for characters it cannot spell: "kaneng" shares its start with 家 ka and
its end with 定 ding, but no split of it gives 定 an initial any Chinese language reads it
with (ka|neng: n is not d; kan|eng: 定 has an initial). This module asks the question the
letters skip (ADR 0053 amendment): is there a way to cut each Latin part into syllables,
each under one character in the name's order, with every syllable's initial
corresponding?

A Latin syllable of Chinese has one group of vowel letters (ying, cheuk, ieong, siew) or
none (ng, m, hng, tsz): a part with two vowel groups spells at least two characters. A
syllable that starts with a vowel after another syllable could also take the consonant
before it (kan|eng or ka|neng), so such a piece only stands for a character with no
initial; the other cut is tried as well. Characters no part covers are allowed: a name
with a part missing is already scored as such by the letters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from palermo.match.names_han_initials import initial_class, initials_correspond

# One Latin syllable of Chinese: one vowel group with consonants around it, or a
# syllable without a vowel (Cantonese ng and m, Hokkien hng, Hong Kong tsz / sz).
_PIECE = re.compile(r"[^aeiou]*[aeiou]+[^aeiou]*|h?ng|m|t?sz")
MAX_PARTS = 6  # a Chinese name has at most four characters; longer inputs are not one


def _vowel_groups(part: str) -> int:
    return len(re.findall(r"[aeiou]+", part))


Syllables = tuple[tuple[str, ...], ...]  # per character, its spellings (one in a form)


@lru_cache(maxsize=100_000)
def spells_run(part: str, run: Syllables) -> bool:
    """Whether `part` cuts into len(run) syllables, the i-th with an initial that
    corresponds to an initial of the i-th character's spellings in `run`."""

    def cut(rest: str, index: int) -> bool:
        if index == len(run):
            return not rest
        last = index == len(run) - 1
        ends = [len(rest)] if last else range(1, len(rest))
        for end in ends:
            piece = rest[:end]
            if not _PIECE.fullmatch(piece):
                continue
            if not any(initials_correspond(piece, s) for s in run[index]):
                continue
            if index and piece[0] in "aeiou" and "0" not in map(initial_class, run[index]):
                continue  # the consonant before it may be its initial: that cut is tried
            if cut(rest[end:], index + 1):
                return True
        return False

    return bool(run) and cut(part, 0)


def fitting_parts(parts: tuple[str, ...], form: Syllables) -> tuple[bool, ...]:
    """Per Latin part, whether it is explained: it spells its own run of the name's
    characters (each with its spellings: one per character in a whole-name form, all
    readings otherwise) in the alignment where the most parts do, in the written order or
    with the family name moved last (Kaneng Wong). Every part counts as explained when
    some alignment's parts spell every character: the Latin then writes more of the name
    than the characters do (Chinese press often writes only the given name of a Malay
    name: fa-zi-man for a Faziman Ali), which the letters already score as a missing
    part. Also for inputs too long to be one Chinese name (not judged here)."""
    if len(parts) > MAX_PARTS or len(form) > MAX_PARTS:
        return tuple(True for _ in parts)
    orders = [(parts, False)] + ([((parts[-1], *parts[:-1]), True)] if len(parts) > 1 else [])
    best: tuple[bool, ...] = tuple(False for _ in parts)
    for order, moved in orders:
        for flags, covered in _alignments(order, form, 0):
            if covered == len(form) or all(flags):
                return tuple(True for _ in parts)
            if moved:
                flags = (*flags[1:], flags[0])
            if sum(flags) > sum(best):
                best = flags
    return best


def _alignments(
    parts: Sequence[str], form: Syllables, start: int
) -> Iterator[tuple[tuple[bool, ...], int]]:
    """Every in-order alignment of `parts` with runs of `form` at or after `start` (each
    run after the one before, characters between runs uncovered, a part may spell no
    run): which parts spell a run, and how many characters the runs cover."""
    if not parts:
        yield (), 0
        return
    part, rest = parts[0], parts[1:]
    for flags, covered in _alignments(rest, form, start):  # this part spells no run
        yield (False, *flags), covered
    least = max(1, _vowel_groups(part))
    for first in range(start, len(form)):
        for end in range(first + least, len(form) + 1):
            if spells_run(part, form[first:end]):
                for flags, covered in _alignments(rest, form, end):
                    yield (True, *flags), covered + end - first
