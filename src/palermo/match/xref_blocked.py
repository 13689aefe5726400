"""The name functions on a batch of blocked candidate pairs (issue 22, ADR 0057 amendment).

Why: a batch of blocked pairs (the candidates' comparison vectors, EM) holds hundreds of
distinct records on each side, so `xref_batch` cannot compare its sides part against part,
and it went pair by pair. The record-level screen (`xref_screen`) lets few of them through:
blocking joins records on a shared name key, so their best single part is high and
`paired_bound` of it reaches the lowest name level, yet in the rich world 85% of those pairs
score under it (a shared surname, another given name). Each paid the exact score, every name
of one record against every name of the other (~35 µs a pair, most of the candidates'
time).

Here the bound is taken per pair of names instead of per pair of records, for the whole
batch at once in numpy:
- every distinct part pair the rows hold gets an upper bound of `token_similarity`,
  computed in C, and the exact score where the bound reaches `EXACT_FROM`
  (`xref_part_bounds`; ADR 0057, second amendment of 2026-12-01);
- the best part of a row is the best of them: `xref.best_single_part` wherever that can
  reach `EXACT_FROM`, a bound under it elsewhere (under "one part the same", 0.97, either
  way);
- per pair of names, each part of the shorter name takes its best partner in the longer one
  (at least what `names.paired` gives it) and `names.combine`'s formula, without its cap,
  bounds what the parts can give;
- a row whose names all stay under the lowest level that way, and whose glued names stay
  under it too (`xref_screen.glued_bound`, OSA in C), gets the bound: the level the exact
  score gives. Every other row gets the exact score, as before (kept across batches: the
  same two names meet again in other records' pairs).
`tests/match/test_xref_batch.py` checks the levels and the best parts against the exact
scores on blocked batches of the world's, the rich world's and FEBRL's pairs, and on any
names (Hypothesis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from palermo.match.names import GLUED_DISCOUNT, GLUED_LENGTH, ONE_TYPO, parts_similarity
from palermo.match.xref_part_bounds import EXACT_FROM, exact_where_close, pair_bounds
from palermo.match.xref_screen import NAME_LEVELS, ROUNDING_MARGIN, SCREEN_BAR, prepared

Array = np.ndarray[Any, Any]
# Scores (or upper bounds) of part pairs: every part of one list by every part of the other.
PartScores = Callable[[Sequence[str], Sequence[str]], Array]

# Part pairs of one batch compared here at most (a batch of 2,048 rows whose records hold
# a few names each: ~50,000); above it the batch goes pair by pair.
CELLS_MAX = 4_000_000
BAR = SCREEN_BAR - ROUNDING_MARGIN


@lru_cache(maxsize=2_000_000)
def _split(value: str) -> tuple[tuple[str, ...], ...]:
    """`xref._split`: a record's names as part tuples."""
    return tuple(tuple(name.split()) for name in value.split("|"))


@lru_cache(maxsize=2_000_000)
def slots(value: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """A record's names (`features()["name_parts"]`) as one row of parts: each part, the
    number of its name and that name's number of parts. `xref._split`'s names, in order
    (a part twice in a name stays twice: `names.paired` pairs it twice)."""
    parts: list[str] = []
    names: list[int] = []
    lengths: list[int] = []
    for number, name in enumerate(value.split("|")):
        words = name.split()
        parts += words
        names += [number] * len(words)
        lengths += [len(words)] * len(words)
    return tuple(parts), tuple(names), tuple(lengths)


@lru_cache(maxsize=2_000_000)
def _slot_row(value: str) -> tuple[tuple[Any, ...], ...]:
    """Everything `_Slots` reads of a record, in one lookup: `slots`' three rows, and per
    name its glued forms (`prepared`), number of parts and letters glued."""
    names = _split(value)
    return (
        *slots(value),
        prepared(value),
        tuple(len(n) for n in names),
        tuple(sum(map(len, n)) for n in names),
    )


class _Slots:
    """One side of a batch: every distinct record's parts in one row of slots, and its
    names' glued forms (`prepared`)."""

    def __init__(self, values: Sequence[str]) -> None:
        rows = [_slot_row(value) for value in values]
        numbers: dict[str, int] = {}
        words = chain.from_iterable(row[0] for row in rows)
        self.part = np.array([numbers.setdefault(w, len(numbers)) for w in words], dtype=np.int64)
        self.parts = list(numbers)
        self.name = _flat(rows, 1)
        self.length = _flat(rows, 2)
        self.sizes = np.array([len(row[0]) for row in rows], dtype=np.int64)
        self.first = np.cumsum(self.sizes) - self.sizes
        # the glued forms of every record's names, record after record
        held = np.array([len(row[3]) for row in rows], dtype=np.int64)
        self.names_first = np.cumsum(held) - held
        self.forms = _columns(list(chain.from_iterable(row[3] for row in rows)))
        # per name, as `forms`: its parts and letters (`names.parts_similarity` compares
        # glued names by both)
        self.form_parts = _flat(rows, 4)
        self.form_letters = _flat(rows, 5)

    def glued_of(self, rows: Array, names: Array) -> Array:
        """The position in `forms` of each row's record's name `names` (its number)."""
        return np.asarray(self.names_first[rows] + names)


def _flat(rows: Sequence[tuple[tuple[Any, ...], ...]], field: int) -> Array:
    """One field of every record's `_slot_row`, one after the other, as integers."""
    return np.fromiter(chain.from_iterable(row[field] for row in rows), dtype=np.int64)


def _columns(forms: Sequence[tuple[str, str, str]]) -> tuple[Array, Array, Array]:
    """The three glued forms of each name, as three object arrays (indexed in C)."""
    if not forms:
        empty = np.empty(0, dtype=object)
        return empty, empty, empty
    glued, reverse, ordered = (
        np.array(column, dtype=object) for column in zip(*forms, strict=True)
    )
    return glued, reverse, ordered


def blocked_scores(
    values_l: Sequence[str],
    rows_l: Array,
    values_r: Sequence[str],
    rows_r: Array,
    names: bool,
    known: PartScores | None = None,
) -> tuple[Array, Array | None] | None:
    """Per row (both values non-empty): `xref.best_single_part`, and with `names` the
    name score: per pair of names `names.parts_similarity` where its bound can reach the
    lowest level, the bound elsewhere, best over the pairs (so `xref.best_name_similarity`
    wherever that reaches the lowest level, a bound under it elsewhere). None when the
    batch holds too many part pairs for this.

    `known` gives the part pairs' scores where the caller already holds them (u's
    batches: `xref_batch.part_scores`, exact where they can reach `EXACT_FROM`, upper
    bounds under it): the name scores stay those of the exact part scores (a bound of a
    part pair only loosens a name's bound, and the names it lets through are scored
    exactly), the best part is then exact only where it reaches `EXACT_FROM`."""
    values_l, rows_l = _used(values_l, rows_l)
    values_r, rows_r = _used(values_r, rows_r)
    left, right = _Slots(values_l), _Slots(values_r)
    size_l, size_r = left.sizes[rows_l], right.sizes[rows_r]
    counts = size_l * size_r
    total = int(counts.sum())
    if total > CELLS_MAX:
        return None
    n = len(rows_l)
    best = np.zeros(n)
    if total == 0:
        return best, (np.zeros(n) if names else None)
    row = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    offset = np.arange(total) - starts[row]
    i, j = offset // size_r[row], offset % size_r[row]
    slot_l = left.first[rows_l[row]] + i
    slot_r = right.first[rows_r[row]] + j
    if known is None:
        score = _token_scores(left, right, left.part[slot_l], right.part[slot_r])
    else:
        score = known(left.parts, right.parts)[left.part[slot_l], right.part[slot_r]]
    some = np.flatnonzero(counts)
    best[some] = np.maximum.reduceat(score, starts[some])
    if not names:
        return best, None
    of_row, name_l, name_r, parts = _names_bound(left, right, row, i, j, slot_l, slot_r, score)
    # The glued forms can only matter where the parts stay under the lowest level, or
    # where a row holds several pairs of names (which to score exactly first, and when to
    # stop): elsewhere the row's one pair of names is scored exactly anyway, and 1 bounds it.
    held = np.bincount(of_row, minlength=n)[of_row]
    need = np.flatnonzero((parts < BAR) | (held > 1))
    glued = np.ones(len(parts))
    glued[need] = _glued_similarities(
        left,
        left.glued_of(rows_l[of_row[need]], name_l[need]),
        right,
        right.glued_of(rows_r[of_row[need]], name_r[need]),
    )
    bound = np.maximum(parts, glued)
    scores = np.zeros(n)
    np.maximum.at(scores, of_row, bound)
    # Rows whose names may reach the lowest level: exact scores, best bound first, until
    # no name left can reach the next level above the best exact score so far.
    order = np.lexsort((-bound, of_row))
    order = order[bound[order] >= BAR]
    ends = np.flatnonzero(np.diff(of_row[order], append=-1)) + 1
    for group in np.split(order, ends[:-1]) if len(order) else ():
        k0 = int(of_row[group[0]])
        value_l, value_r = values_l[rows_l[k0]], values_r[rows_r[k0]]
        found = 0.0
        for k in group.tolist():
            if bound[k] < _next_level(found) - ROUNDING_MARGIN:
                break
            a, b = _split(value_l)[name_l[k]], _split(value_r)[name_r[k]]
            found = max(found, name_pair_similarity(a, b))
        scores[k0] = found if found >= BAR else min(scores[k0], BAR - ROUNDING_MARGIN)
    return best, scores


@lru_cache(maxsize=500_000)
def name_pair_similarity(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """`names.parts_similarity` of two names, kept: blocking joins records on shared name
    keys, so the same two names meet again in other records' pairs (a third of the exact
    scores of 20,000 world records were repeats; more as names get more holders)."""
    return parts_similarity(left, right)


def _used(values: Sequence[str], rows: Array) -> tuple[Sequence[str], Array]:
    """Only the values the rows hold (u's rows that share a part hold a tenth of their
    batch's values), each row's position among them."""
    used, at = np.unique(rows, return_inverse=True)
    if len(used) == len(values):
        return values, rows
    return [values[k] for k in used.tolist()], at.reshape(-1).astype(np.int64)


def _next_level(score: float) -> float:
    """The lowest threshold of the name comparison above `score` (2 above the last)."""
    return next((t for t in NAME_LEVELS if t > score), 2.0)


def _token_scores(left: _Slots, right: _Slots, part_l: Array, part_r: Array) -> Array:
    """Every cell's two parts: `token_similarity` where it can reach `EXACT_FROM`, an
    upper bound under it elsewhere (`xref_part_bounds`), once per distinct part pair."""
    width = max(len(right.parts), 1)
    distinct, inverse = np.unique(part_l * width + part_r, return_inverse=True)
    at_l, at_r = distinct // width, distinct % width
    bounds = pair_bounds(left.parts, right.parts, at_l, at_r)
    scores = exact_where_close(bounds, left.parts, right.parts, at_l, at_r)
    return np.asarray(scores[inverse.reshape(-1)])


def _names_bound(
    left: _Slots,
    right: _Slots,
    row: Array,
    i: Array,
    j: Array,
    slot_l: Array,
    slot_r: Array,
    score: Array,
) -> tuple[Array, Array, Array, Array]:
    """Every pair of names the rows hold (row, left name's number, right name's number)
    and an upper bound of its `names.parts_similarity` without the glued comparisons:
    each part of the shorter name with its best partner in the longer one that
    `names.paired` can leave it (`_partners`), combined as `names.combine` combines them
    (without its cap)."""
    name_l, name_r = left.name[slot_l], right.name[slot_r]
    len_l, len_r = left.length[slot_l], right.length[slot_r]
    names_max = int(max(left.name.max(initial=0), right.name.max(initial=0))) + 1
    slots_max = int(max(i.max(initial=0), j.max(initial=0))) + 1
    pair = (row * names_max + name_l) * names_max + name_r
    short_left = len_l <= len_r
    # each part of the shorter name (left: slot i; right: slot j), best over the other name
    group = np.where(
        short_left,
        ((row * slots_max + i) * names_max + name_r) * 2,
        ((row * slots_max + j) * names_max + name_l) * 2 + 1,
    )
    groups, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    best = np.full(len(groups), -np.inf)
    np.maximum.at(best, inverse, score)
    pairs, cell_pair = np.unique(pair, return_inverse=True)
    cell_pair = cell_pair.reshape(-1)
    short_part = np.where(short_left, i, j)  # the cell's part of the shorter name
    kept = _partners(cell_pair, len(pairs), score, short_part, np.where(short_left, j, i))
    partner = np.full(len(groups), -np.inf)
    np.maximum.at(partner, inverse[kept], score[kept])
    best = np.where(np.isfinite(partner), partner, best)
    of_pair = cell_pair[first]  # each group's pair of names
    at = np.empty(len(pairs), dtype=np.int64)
    at[cell_pair] = np.arange(len(pair))  # a cell of each pair of names
    total = np.bincount(of_pair, weights=best, minlength=len(pairs))
    count = np.bincount(of_pair, minlength=len(pairs))
    low = np.full(len(pairs), np.inf)
    np.minimum.at(low, of_pair, best)
    short = np.minimum(len_l[at], len_r[at])
    long_ = np.maximum(len_l[at], len_r[at])
    matched = total / count - 0.5 * (1.0 - low)
    parts = np.maximum(matched * (0.85 + 0.15 * short / long_), 0.0)
    return row[at], name_l[at], name_r[at], parts


def _partners(of_pair: Array, size: int, score: Array, short: Array, long_: Array) -> Array:
    """Which cells (a part of the shorter name, `short`, with one of the longer, `long_`,
    in the pair of names numbered `of_pair`, of `size`) can still be paired by
    `names.paired`: all but, where the
    pair's best cell is exact (at least `EXACT_FROM`) and no other cell equals it, the
    other parts' cells with that cell's part of the longer name. `paired` gives each part
    its own partner, best pairs first, so that part is taken.

    Why: "Olena Bondarenko" and "Bondarenko Stanislav" share the family name; Olena's best
    partner is Bondarenko too (0.65), so taking each part's best bounded the pair at 0.65,
    the lowest level, and paid for the exact score (0.37). Such pairs were 12,000 of the
    rich world's 21,000 exact name scores after the glued bound (ADR 0061)."""
    top = np.full(size, -np.inf)
    np.maximum.at(top, of_pair, score)
    is_top = score == top[of_pair]
    settled = (np.bincount(of_pair, weights=is_top, minlength=size) == 1) & (top >= EXACT_FROM)
    top_short = np.full(size, -1, dtype=np.int64)
    top_long = np.full(size, -1, dtype=np.int64)
    top_short[of_pair[is_top]] = short[is_top]
    top_long[of_pair[is_top]] = long_[is_top]
    return np.asarray(
        ~settled[of_pair] | (short == top_short[of_pair]) | (long_ != top_long[of_pair])
    )


def _glued_similarities(left: _Slots, forms_l: Array, right: _Slots, forms_r: Array) -> Array:
    """What `names.parts_similarity` may take from gluing each pair of names (numbers of
    the sides' glued forms), each distinct pair once, in C: names of as many parts only
    as one typo glued straight, discounted; others only where the shorter is at least
    `GLUED_LENGTH` of the longer, then `xref_screen.glued_bound`'s four comparisons.
    `glued_osa` alone bounded every pair by the four: 9,600 of the rich world's 31,000
    exact name scores were of pairs under the lowest level that only it let through
    (ADR 0061)."""
    if not len(forms_l):
        return np.zeros(0)
    width = max(len(right.forms[0]), 1)
    distinct, inverse = np.unique(forms_l * width + forms_r, return_inverse=True)
    at_l, at_r = distinct // width, distinct % width
    scores = np.zeros(len(distinct))
    equal = left.form_parts[at_l] == right.form_parts[at_r]
    same = np.flatnonzero(equal)
    if len(same):
        straight = _osa(left.forms[0][at_l[same]].tolist(), right.forms[0][at_r[same]].tolist())
        moved = straight * GLUED_DISCOUNT
        scores[same] = np.where(moved >= ONE_TYPO * GLUED_DISCOUNT, moved, 0.0)
    letters_l, letters_r = left.form_letters[at_l], right.form_letters[at_r]
    near = np.minimum(letters_l, letters_r) >= GLUED_LENGTH * np.maximum(letters_l, letters_r)
    other = np.flatnonzero(~equal & near)
    if len(other):
        scores[other] = glued_osa(
            [column[at_l[other]].tolist() for column in left.forms],
            [column[at_r[other]].tolist() for column in right.forms],
            cpdist,
        )
    return np.asarray(scores[inverse.reshape(-1)])


def _osa(left: Sequence[str], right: Sequence[str], compare: Callable[..., Any] = cpdist) -> Array:
    """OSA similarity in C: pair by pair (`cpdist`) or every one with every one (`cdist`)."""
    return np.asarray(
        compare(left, right, scorer=OSA.normalized_similarity, dtype=np.float64, workers=1)
    )


def glued_osa(
    left: Sequence[Sequence[str]],
    right: Sequence[Sequence[str]],
    compare: Callable[..., Any],
) -> Array:
    """`xref_screen.glued_bound` from `prepared`'s glued forms, in C: `left` and `right`
    hold each form as a column (`left[0]`: every name glued, `[1]` reversed, `[2]`
    sorted). ``compare`` is rapidfuzz's `cpdist` (pair by pair, here) or `cdist` (every
    name of one side with every name of the other, `xref_batch.glued_bounds`)."""

    def osa(f: int, g: int) -> Array:
        return _osa(left[f], right[g], compare)

    best = np.maximum(np.maximum(osa(0, 0), osa(0, 1)), osa(1, 0))
    return np.asarray(np.maximum(best, osa(2, 2) * GLUED_DISCOUNT))
