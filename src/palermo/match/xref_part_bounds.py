"""Upper bounds of `names.token_similarity` computed in C, for many part pairs at once
(issue 22, ADR 0057).

Why: `token_similarity` is Python (~5 µs a pair once its folds are cached); the name
functions need it for every part pair of a batch only to learn that nearly all of them are
far apart. It starts from Jaro-Winkler of both folds and of the spelling as written, and its
typo, vowel and skeleton rules lift a pair to at most `RULE_LIFT` where a key of the rule
(sorted letters, doubled letters undone, consonant classes, skeleton) is the same on both
sides. So the highest of those Jaro-Winkler scores, lifted to `RULE_LIFT` where a key
agrees, is never under it (`tests/match/test_xref_batch.py`, a Hypothesis property), and
rapidfuzz computes it in tens of nanoseconds a pair: side against side (`part_bounds`,
`cdist`) or pair by pair (`pair_bounds`, `cpdist`). Only part pairs whose bound reaches
`EXACT_FROM` need the exact score (`exact_where_close`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cdist, cpdist

from palermo.match.names import DOUBLED, SHORT_PART, compare_folds, skeleton, token_similarity
from palermo.match.names_vowels import latin_shape
from palermo.match.xref_screen import ROUNDING_MARGIN, SCREEN_BAR

Array = np.ndarray[Any, Any]

# The most `token_similarity`'s typo, vowel and skeleton rules lift a part pair to.
RULE_LIFT = 0.9
# `xref_screen.paired_bound(best)` = best - (1 - best) / 2 is under the screen
# (SCREEN_BAR - ROUNDING_MARGIN) exactly when the best part is under this.
PART_BAR = (SCREEN_BAR - ROUNDING_MARGIN + 0.5) / 1.5
# Part pairs whose bound reaches this get the exact score: under PART_BAR, so that no
# bound decides whether a pair is screened.
EXACT_FROM = PART_BAR - 0.01


@lru_cache(maxsize=2_000_000)
def part_texts(part: str) -> tuple[str, str, str]:
    """What `token_similarity(part, other)` scores by Jaro-Winkler: both folds, and the
    spelling as written (its typo rule for long parts)."""
    affricate, glide = compare_folds(part)
    return affricate, glide, part


def rule_keys(part: str) -> tuple[Hashable, Hashable, Hashable, Hashable]:
    """The keys of `token_similarity`'s rules that lift a pair to 0.9 (None where a rule
    cannot apply to this part): the same consonants (abjad skeleton), a short part's
    letters swapped, a letter doubled (the other part may be long), and the vowel rule's
    consonant classes of a long part. Not cached: `rule_hashes` keeps its result."""
    short = len(part) <= SHORT_PART
    shape = latin_shape(part) if not short else None
    return (
        skeleton(part) or None,
        "".join(sorted(part)) if short else None,
        DOUBLED.sub(r"\1", part),
        shape[0] if shape is not None else None,
    )


def part_bounds(left: Sequence[str], right: Sequence[str]) -> Array:
    """A matrix of upper bounds of `names.token_similarity`, `left` by `right`."""
    if not left or not right:
        return np.zeros((len(left), len(right)))
    return _bounds(left, right, np.arange(len(left)), np.arange(len(right)), pairwise=False)


@lru_cache(maxsize=2_000_000)
def rule_hashes(part: str) -> tuple[int, int, int, int]:
    """`rule_keys` as non-negative hashes (-1: the rule cannot apply). Two keys sharing
    a hash only lift a bound that needed no lifting, which costs an exact score, never a
    level."""
    a, b, c, d = (-1 if k is None else hash(k) & HASH_MASK for k in rule_keys(part))
    return a, b, c, d


HASH_MASK = (1 << 62) - 1


def pair_bounds(parts_l: Sequence[str], parts_r: Sequence[str], at_l: Array, at_r: Array) -> Array:
    """`part_bounds` of `parts_l[at_l[k]]` with `parts_r[at_r[k]]` for every k: one
    bound per pair (each part's texts and keys are looked up once, not once per pair)."""
    if not len(at_l):
        return np.zeros(0)
    return _bounds(parts_l, parts_r, at_l, at_r, pairwise=True)


def _bounds(
    parts_l: Sequence[str], parts_r: Sequence[str], at_l: Array, at_r: Array, pairwise: bool
) -> Array:
    """The bound of `parts_l[at_l]` with `parts_r[at_r]`: pair by pair (`cpdist`), or
    every one with every one (`cdist`, a matrix)."""
    compare = cpdist if pairwise else cdist
    texts_l = np.array([part_texts(p) for p in parts_l], dtype=object).reshape(-1, 3)
    texts_r = np.array([part_texts(p) for p in parts_r], dtype=object).reshape(-1, 3)
    bound: Array | None = None
    for column in range(3):
        scores = compare(
            texts_l[at_l, column].tolist(),
            texts_r[at_r, column].tolist(),
            scorer=JaroWinkler.similarity,
            dtype=np.float64,
            workers=1,
        )
        bound = scores if bound is None else np.maximum(bound, scores)
    assert bound is not None
    keys_l = np.array([rule_hashes(p) for p in parts_l], dtype=np.int64).reshape(-1, 4)[at_l]
    keys_r = np.array([rule_hashes(p) for p in parts_r], dtype=np.int64).reshape(-1, 4)[at_r]
    if pairwise:
        same = ((keys_l == keys_r) & (keys_l >= 0)).any(axis=1)
    else:
        same = ((keys_l[:, None, :] == keys_r[None, :, :]) & (keys_l[:, None, :] >= 0)).any(axis=2)
    return np.asarray(np.where(same, np.maximum(bound, RULE_LIFT), bound))


def exact_where_close(
    scores: Array, parts_l: Sequence[str], parts_r: Sequence[str], at_l: Array, at_r: Array
) -> Array:
    """`scores` (`pair_bounds`) with `token_similarity` in place of every bound that
    reaches `EXACT_FROM`."""
    for k in np.flatnonzero(scores >= EXACT_FROM).tolist():
        scores[k] = token_similarity(parts_l[at_l[k]], parts_r[at_r[k]])
    return scores
