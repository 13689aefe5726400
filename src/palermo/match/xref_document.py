"""`palermo_document_sim` for a whole batch of pairs (issue 22, ADR 0057 amendment of
2026-11-30).

Why: u is counted over 300,000 random pairs, and on FEBRL every record has a document
number: one Python call of `xref.document_similarity` per distinct pair (~5 µs; 1.5 s of
FEBRL3's u sampling). In u's batches one side holds a few distinct records and the other
hundreds (`xref_batch`), so the distinct numbers of one side are compared with the other's
in C (`rapidfuzz.process.cdist`, Damerau-Levenshtein distance) and each pair takes the
best of its numbers' pairs: 1 for a number both hold (distance 0), 0.5 for one misread or
transposed character between numbers of `xref.STRONG_MIN_CHARS` or more, else 0. That is
`xref.document_similarity` exactly (`tests/match/test_xref_batch.py` compares them). Other
batches (blocked candidates) compare each distinct pair's numbers pair by pair, also in C
(`xref_pieces`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import cdist, cpdist

from palermo.match.engines import encoded
from palermo.match.xref_pieces import PieceScores, best_of_pieces

Array = np.ndarray[Any, Any]
# As `xref_batch` and `xref_address`: compared side against side when that is at most
# this many number pairs per number pair the batch's distinct pairs hold.
SIDE_BY_SIDE_MAX = 8


def document_batch() -> Callable[[Any, Any], Array]:
    """The batch form of `xref.document_similarity`."""

    def batch(left: Any, right: Any) -> Array:
        # the misread rule's shortest number, as `xref.document_similarity` reads it
        from palermo.match.xref import STRONG_MIN_CHARS as min_chars

        values_l, rows_l = encoded(left, intern=False)
        values_r, rows_r = encoded(right, intern=False)
        width = len(values_r)
        distinct, inverse = np.unique(rows_l * width + rows_r, return_inverse=True)
        a, b = distinct // width, distinct % width
        used_l, used_r = np.unique(a), np.unique(b)
        numbers_l = {x: _numbers(values_l[x]) for x in used_l.tolist()}
        numbers_r = {y: _numbers(values_r[y]) for y in used_r.tolist()}
        sizes_l = np.zeros(len(values_l), dtype=np.int64)
        sizes_r = np.zeros(len(values_r), dtype=np.int64)
        sizes_l[used_l] = [len(numbers_l[x]) for x in used_l.tolist()]
        sizes_r[used_r] = [len(numbers_r[y]) for y in used_r.tolist()]
        held = int((sizes_l[a] * sizes_r[b]).sum())
        every = int(sizes_l.sum()) * int(sizes_r.sum())
        if every > SIDE_BY_SIDE_MAX * max(held, 1):
            pieces_l = [numbers_l.get(x, []) for x in range(len(values_l))]
            pieces_r = [numbers_r.get(y, []) for y in range(len(values_r))]
            scores = best_of_pieces(pieces_l, pieces_r, a, b, _scorer(min_chars))
        else:
            scores = _side_by_side(numbers_l, numbers_r, a, b, min_chars)
        return np.asarray(scores[inverse.reshape(-1)])

    return batch


def _numbers(value: str | None) -> list[str]:
    """A value's distinct numbers ("|"-separated), as `xref.document_similarity` reads
    them; none for a null or empty value (which agrees with nothing)."""
    return list(dict.fromkeys(value.split("|"))) if value else []


def _scorer(min_chars: int) -> PieceScores:
    def scores(texts_l: list[str], texts_r: list[str]) -> Array:
        return _scores(texts_l, texts_r, min_chars, pairwise=True)

    return scores


def _scores(texts_l: list[str], texts_r: list[str], min_chars: int, pairwise: bool) -> Array:
    """`xref.document_similarity` of one number with one, in C: every number of `texts_l`
    with every one of `texts_r` (`cdist`, a matrix), or each with its partner (`cpdist`)."""
    compare = cpdist if pairwise else cdist
    distance = compare(
        texts_l, texts_r, scorer=DamerauLevenshtein.distance, dtype=np.int32, workers=1
    )
    lengths_l = np.array([len(t) for t in texts_l])
    lengths_r = np.array([len(t) for t in texts_r])
    if not pairwise:
        lengths_l, lengths_r = lengths_l[:, None], lengths_r[None, :]
    long_enough = np.minimum(lengths_l, lengths_r) >= min_chars
    return np.where(distance == 0, 1.0, np.where(long_enough & (distance <= 1), 0.5, 0.0))


def _side_by_side(
    numbers_l: dict[int, list[str]],
    numbers_r: dict[int, list[str]],
    a: Array,
    b: Array,
    min_chars: int,
) -> Array:
    index_l: dict[str, int] = {}
    index_r: dict[str, int] = {}
    for numbers in numbers_l.values():
        for n in numbers:
            index_l.setdefault(n, len(index_l))
    for numbers in numbers_r.values():
        for n in numbers:
            index_r.setdefault(n, len(index_r))
    out = np.zeros(len(a))
    if not index_l or not index_r:
        return out
    texts_l, texts_r = list(index_l), list(index_r)
    matrix = _scores(texts_l, texts_r, min_chars, pairwise=False)
    # one number on each side (the usual case) by indexing; several, best of each pair
    first_l = np.full(int(a.max()) + 1, -1)
    first_r = np.full(int(b.max()) + 1, -1)
    for x, numbers in numbers_l.items():
        first_l[x] = index_l[numbers[0]] if len(numbers) == 1 else -1
    for y, numbers in numbers_r.items():
        first_r[y] = index_r[numbers[0]] if len(numbers) == 1 else -1
    one = (first_l[a] >= 0) & (first_r[b] >= 0)
    out[one] = matrix[first_l[a[one]], first_r[b[one]]]
    for k in np.flatnonzero(~one).tolist():
        rows = [index_l[n] for n in numbers_l[int(a[k])]]
        cols = [index_r[n] for n in numbers_r[int(b[k])]]
        if rows and cols:
            out[k] = matrix[np.ix_(rows, cols)].max()
    return out
