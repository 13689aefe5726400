"""The best score over the pieces of two "|"-separated values, for many pairs at once.

Why: the address and document functions compare every address (or number) of one record
with every one of the other and keep the best. On blocked batches (candidate pairs, EM) the
distinct pairs are mostly new, and each was one Python call of the pair function (~5 µs,
with its string interning: 1.2 s of FEBRL4's 2.6 s of candidate vectors). Here every piece
pair of every distinct pair is laid out flat and scored in C by rapidfuzz's pairwise
`cpdist` (the same scorers the pair functions call), then each pair takes the best of its
pieces (`numpy.maximum.reduceat`). `tests/match/test_xref_batch.py` compares the batch
forms with the pair functions row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]
# Aligned lists of pieces to one score per position.
PieceScores = Callable[[list[str], list[str]], Array]


def best_of_pieces(
    pieces_l: Sequence[Sequence[str]],
    pieces_r: Sequence[Sequence[str]],
    a: Array,
    b: Array,
    score: PieceScores,
) -> Array:
    """Per k, the best `score` of a piece of `pieces_l[a[k]]` with one of
    `pieces_r[b[k]]` (0 where either has none)."""
    texts_l: list[str] = []
    texts_r: list[str] = []
    counts = np.zeros(len(a), dtype=np.int64)
    for k, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        left, right = pieces_l[x], pieces_r[y]
        if len(left) == 1 and len(right) == 1:  # the usual case
            texts_l.append(left[0])
            texts_r.append(right[0])
            counts[k] = 1
            continue
        for p in left:
            texts_l += [p] * len(right)
            texts_r += right
        counts[k] = len(left) * len(right)
    out = np.zeros(len(a))
    some = np.flatnonzero(counts)
    if len(some):
        scores = score(texts_l, texts_r)
        starts = np.cumsum(counts) - counts
        out[some] = np.maximum.reduceat(scores, starts[some])
    return out
