"""Screening name pairs before the exact cross-script score (issue 22).

Why: nearly every pair that u sampling draws, and most blocked candidates, are two
different people whose names share nothing, yet `xref.best_name_similarity` pairs every
part of every name of one record with the other's and glues the names together letter by
letter (~75 µs a pair). The resolver only asks whether that score reaches a level of the
name comparison (`>= 0.65` is the lowest), so a cheap upper bound that is under the lowest
level decides the level as well as the exact score would.

The bound, from how `names.parts_similarity` combines its parts: with `T` the best
agreement of any part of one record with any part of the other (`best_single_part`, which
the "one part the same" level needs anyway), every part's best partner scores at most `T`,
so the paired score is at most `T - 0.5 * (1 - T)`; and the glued comparisons (a space or
a hyphen moved, names glued or reversed) are Levenshtein-OSA similarities of the folded,
joined names, computed here once per record (`prepared`) instead of once per pair. A pair
whose bound is under `SCREEN_BAR` gets the bound (under every level's threshold, so the
same level); any other pair gets the exact score. `tests/match/test_xref_screen.py` checks
that screened and exact scores give the same comparison levels on the world's and FEBRL's
pairs, so a change to `names` that breaks the bound is caught there.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import OSA

from palermo.match.names import GLUED_DISCOUNT, fold

# The lowest threshold of palermo_name_sim among the name comparison's levels
# (`xref._name_comparison`); a test keeps the two in step.
SCREEN_BAR = 0.65
# Every threshold of palermo_name_sim in the name comparison, lowest first (a test keeps
# them in step): `xref_blocked` stops scoring a pair's names once none can reach the next.
NAME_LEVELS = (SCREEN_BAR, 0.8, 0.9, 0.97)
# Scores are rounded to four places: a bound this far under the bar cannot round up to it.
ROUNDING_MARGIN = 1e-3
Joined = tuple[str, str, str]  # folded: the parts glued, glued in reverse, glued sorted


@lru_cache(maxsize=500_000)
def prepared(value: str) -> tuple[Joined, ...]:
    """A record's names (`features()["name_parts"]`: "|" between names, spaces between
    parts) glued and folded in the three ways `parts_similarity` compares glued names."""
    out = []
    for name in value.split("|"):
        parts = name.split()
        out.append(
            (
                fold("".join(parts)),
                fold("".join(reversed(parts))),
                fold("".join(sorted(parts))),
            )
        )
    return tuple(out)


def glued_bound(left: str, right: str) -> float:
    """The best glued comparison over every pair of names of the two records: at least
    what `parts_similarity` may take from gluing (it compares these only sometimes)."""
    best = 0.0
    for a, a_rev, a_sorted in prepared(left):
        for b, b_rev, b_sorted in prepared(right):
            best = max(
                best,
                OSA.normalized_similarity(a, b),
                OSA.normalized_similarity(a, b_rev),
                OSA.normalized_similarity(a_rev, b),
                OSA.normalized_similarity(a_sorted, b_sorted) * GLUED_DISCOUNT,
            )
    return best


def paired_bound(best_part: float) -> float:
    """The most `names.combine` can make of parts none of which agrees better than
    `best_part` with any part of the other name."""
    return max(0.0, best_part - 0.5 * (1.0 - best_part))


def name_bound(left: str, right: str, best_part: float) -> float:
    """An upper bound of `xref.best_name_similarity(left, right)`."""
    return max(paired_bound(best_part), glued_bound(left, right))


def provably_below(bound: float) -> bool:
    return bound < SCREEN_BAR - ROUNDING_MARGIN
