"""`palermo_address_sim` for a whole batch of pairs (issue 22, ADR 0057 amendment).

Why: u is counted over 300,000 random pairs, and on FEBRL every record has an address:
300,000 Python calls of two rapidfuzz scorers. In u's batches one side holds a few
distinct records and the other hundreds (`xref_batch`), so the distinct addresses of one
side are scored against the other's in C (`rapidfuzz.process.cdist`, the same scorers) and
each pair takes the best of its addresses' pieces: the very score `xref.address_similarity`
gives (`tests/match/test_xref_batch.py` compares them). Other batches (blocked candidates,
hundreds of records on each side) score each distinct pair's pieces pair by pair, also in C
(`xref_pieces`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist, cpdist

from palermo.match.engines import encoded
from palermo.match.xref_pieces import best_of_pieces

Array = np.ndarray[Any, Any]
# As `xref_batch`: compared side against side when that is at most this many piece pairs
# per piece pair the batch's distinct pairs hold.
SIDE_BY_SIDE_MAX = 8
SUBSET_WORDS = 3  # `xref._one_address`: the token-set score only from three words up


def address_batch() -> Callable[[Any, Any], Array]:
    """The batch form of `xref.address_similarity`."""

    def batch(left: Any, right: Any) -> Array:
        values_l, rows_l = encoded(left, intern=False)
        values_r, rows_r = encoded(right, intern=False)
        pieces_l = [_pieces(v) for v in values_l]
        pieces_r = [_pieces(v) for v in values_r]
        width = len(values_r)
        distinct, inverse = np.unique(rows_l * width + rows_r, return_inverse=True)
        a, b = distinct // width, distinct % width
        sizes_l = np.array([len(p) for p in pieces_l], dtype=np.int64)
        sizes_r = np.array([len(p) for p in pieces_r], dtype=np.int64)
        held = int((sizes_l[a] * sizes_r[b]).sum())
        used_l, used_r = np.unique(a), np.unique(b)
        every = int(sizes_l[used_l].sum()) * int(sizes_r[used_r].sum())
        if every > SIDE_BY_SIDE_MAX * max(held, 1):
            scores = best_of_pieces(pieces_l, pieces_r, a, b, _pair_scores)
        else:
            scores = _side_by_side(pieces_l, pieces_r, used_l, used_r, a, b)
        return np.asarray(scores[inverse.reshape(-1)])

    return batch


def _pieces(value: str | None) -> list[str]:
    """A value's addresses ("|"-separated), as `xref.address_similarity` compares them."""
    return value.split("|") if value else []


def _pair_scores(texts_l: list[str], texts_r: list[str]) -> Array:
    """`xref._one_address` of `texts_l[k]` with `texts_r[k]`, pair by pair in C."""
    return _scores(texts_l, texts_r, pairwise=True)


def _scores(texts_l: list[str], texts_r: list[str], pairwise: bool) -> Array:
    """`xref._one_address` in C: of every text of `texts_l` with every one of `texts_r`
    (`cdist`, a matrix), or of each with its partner (`cpdist`)."""
    compare = cpdist if pairwise else cdist
    sort = compare(texts_l, texts_r, scorer=fuzz.token_sort_ratio, dtype=np.float64, workers=1)
    subset = compare(texts_l, texts_r, scorer=fuzz.token_set_ratio, dtype=np.float64, workers=1)
    words_l = np.array([t.count(" ") + 1 for t in texts_l])
    words_r = np.array([t.count(" ") + 1 for t in texts_r])
    # an empty piece ("a|" or "|b") agrees with nothing
    empty_l = np.array([not t for t in texts_l])
    empty_r = np.array([not t for t in texts_r])
    if not pairwise:
        words_l, empty_l = words_l[:, None], empty_l[:, None]
        words_r, empty_r = words_r[None, :], empty_r[None, :]
    wide = np.minimum(words_l, words_r) >= SUBSET_WORDS
    scores = np.maximum(sort, np.where(wide, subset, 0.0)) / 100
    return np.asarray(np.where(empty_l | empty_r, 0.0, scores))


def _side_by_side(
    pieces_l: list[list[str]],
    pieces_r: list[list[str]],
    used_l: Array,
    used_r: Array,
    a: Array,
    b: Array,
) -> Array:
    index_l: dict[str, int] = {}
    index_r: dict[str, int] = {}
    for x in used_l.tolist():
        for p in pieces_l[x]:
            index_l.setdefault(p, len(index_l))
    for y in used_r.tolist():
        for p in pieces_r[y]:
            index_r.setdefault(p, len(index_r))
    texts_l, texts_r = list(index_l), list(index_r)
    matrix = np.zeros((len(texts_l), len(texts_r)))
    if texts_l and texts_r:
        matrix = _scores(texts_l, texts_r, pairwise=False)
    # one address on each side (the usual case) by indexing; several, best of each pair
    first_l = np.array([index_l.get(p[0], -1) if len(p) == 1 else -1 for p in pieces_l])
    first_r = np.array([index_r.get(p[0], -1) if len(p) == 1 else -1 for p in pieces_r])
    out = np.zeros(len(a))
    if not texts_l or not texts_r:
        return out
    one = (first_l[a] >= 0) & (first_r[b] >= 0)
    out[one] = matrix[first_l[a[one]], first_r[b[one]]]
    for k in np.flatnonzero(~one).tolist():
        rows = [index_l[p] for p in pieces_l[int(a[k])]]
        cols = [index_r[p] for p in pieces_r[int(b[k])]]
        if rows and cols:
            out[k] = matrix[np.ix_(rows, cols)].max()
    return out
