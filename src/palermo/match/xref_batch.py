"""The name comparison's two functions for a whole batch of pairs (issue 22, ADR 0057).

Why: u is counted over 300,000 random pairs (`xref.U_PAIRS`), and nearly every one of them
is two people whose names share nothing. Per pair, `xref.screened_name_similarity` still
scored every part of one record against every part of the other in Python
(`names.token_similarity`; the bound of `match.xref_screen` needs the best of them) and
glued every pair of their names: most of palermo's training time (ADR 0054).

DuckDB hands the functions 2,048 pairs at a time, and in u's sample a batch holds a few
hundred distinct records on one side and a handful on the other (every record of the
sample against the next few). So a batch's distinct parts can be compared side against
side in C (`rapidfuzz.process.cdist`, tens of nanoseconds a part pair):

- every part pair of the batch gets an upper bound of `token_similarity`
  (`xref_part_bounds.part_bounds`):
  the Jaro-Winkler scores it starts from (both folds, and the spelling as written), lifted
  to the 0.9 that its typo, vowel and skeleton rules can give wherever their key (sorted
  letters, doubled letters undone, consonant classes, skeleton) is the same on both sides;
- only part pairs whose bound reaches `EXACT_FROM` get the exact Python score, so a
  record pair's best part is exact wherever it reaches `EXACT_FROM` and bounded under it
  elsewhere;
- a record pair whose best part stays under `PART_BAR` and whose glued names (compared
  by `cdist` as `xref_screen.glued_bound` compares them) stay under the name comparison's
  lowest level gets the bound: the same level the exact score gives. The other pairs
  (random people sharing a common name part: 8% of the rich world's) are scored per pair
  of names as blocked pairs are (`xref_blocked.blocked_scores`): the level of the exact
  score, without scoring every name against every name in Python (ADR 0057, amendment of
  2026-11-30).

`palermo_name_part` needs its exact value only where it can reach "one part the same"
(0.97), and gets the best part above. A batch whose two sides are both large (blocked
candidate pairs, EM) would cost more compared side against side; `xref_blocked` scores it
per pair of names instead (its part pairs bounded pair by pair in C, names bounded in bulk,
exact scores only where a name pair can reach a level).

DuckDB asks for the name score once per level of the comparison, each time with the rows
that missed the level before: such a call is answered from the call before it without
reading the batch into Python again (`LastCalls`), and any other from the results kept by
pair (`RecentPairs`; ADR 0057, second amendment of 2026-12-01).

`tests/match/test_xref_batch.py` checks that every pair gets the level the exact scores
give (the world's, the rich world's and FEBRL's random and similar pairs) and that the part
bound is never under `token_similarity`.
"""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import numpy as np
from rapidfuzz.process import cdist

from palermo.match.xref_blocked import PartScores, blocked_scores, glued_osa
from palermo.match.xref_part_bounds import EXACT_FROM, PART_BAR, exact_where_close, part_bounds
from palermo.match.xref_screen import ROUNDING_MARGIN, SCREEN_BAR, prepared

Array = np.ndarray[Any, Any]
PairScore = Callable[[str | None, str | None], float]

# A batch is compared side against side when that is at most this many part pairs per
# part pair its rows hold (u's batches: ~2; blocked candidates: hundreds).
SIDE_BY_SIDE_MAX = 8
# ... and only when one side holds at most this many distinct records (u's: about 6 of
# 2,048 rows; a batch of blocked pairs holds hundreds on each side).
FEW_VALUES = 64
# Distinct record values numbered before the numbering starts again (and the results kept
# by number are dropped): a million records' names.
NUMBERS_MAX = 2_000_000
# Distinct parts of u's sample compared in one matrix at most (float64: 72 MB); u's ~765
# records hold ~925 in the rich world.
PRIMED_PARTS_MAX = 3_000
# ... and values of one column for a pair function's matrix (`PrimedPairs`; 72 MB)
PRIMED_VALUES_MAX = 3_000
# Part pairs per `blocked_scores` call when a list of pairs is scored at once
# (`NameFunctions.score_pairs`). Its sorts outgrow the CPU's caches: the 854,932 distinct
# name pairs of 100,000 world records took 52 s in calls of up to `CELLS_MAX` (4 million)
# part pairs, 25 s in calls of 1 million, 24 s of 250,000, 29 s of 60,000 (ADR 0062).
PRIMED_CELLS_MAX = 250_000


def glued_bounds(
    left: Sequence[tuple[str, str, str]], right: Sequence[tuple[str, str, str]]
) -> Array:
    """`xref_screen.glued_bound` of every name of `left` with every name of `right`
    (`xref_screen.prepared`'s glued forms)."""
    if not left or not right:
        return np.zeros((len(left), len(right)))
    return glued_osa(_by_form(left), _by_form(right), cdist)


def _by_form(names: Sequence[tuple[str, str, str]]) -> list[list[str]]:
    """The names' glued forms as three columns (`glued_osa`'s shape)."""
    return [[name[k] for name in names] for k in range(3)]


@lru_cache(maxsize=2_000_000)
def _record(value: str) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    """A record's distinct name parts and its glued names."""
    from palermo.match.xref import _parts

    return _parts(value)[0], prepared(value)


class _Items(NamedTuple):
    """The distinct items (0: parts, 1: glued names) of a side's values: `items`, and
    every value's positions among them, flat (`flat[first[v]:first[v] + sizes[v]]`)."""

    items: list[Any]
    flat: Array
    first: Array
    sizes: Array


class _Side:
    """One side of a batch: its distinct values (`values`), each row's value (`rows`),
    and per kind (0: parts, 1: glued names) the distinct items of those values with each
    value's positions among them."""

    def __init__(self, values: Sequence[str], rows: Array) -> None:
        self.values, self.rows = values, rows
        self._items: dict[int, _Items] = {}

    def items(self, which: int) -> _Items:
        if which not in self._items:
            index: dict[Any, int] = {}
            flat: list[int] = []
            sizes: list[int] = []
            for v in self.values:
                held = _record(v)[which]
                flat += [index.setdefault(x, len(index)) for x in held]
                sizes.append(len(held))
            size = np.array(sizes, dtype=np.int64)
            self._items[which] = _Items(
                list(index), np.array(flat, dtype=np.int64), np.cumsum(size) - size, size
            )
        return self._items[which]

    def sizes(self, which: int) -> Array:
        return self.items(which).sizes


def _row_best(matrix: Array, left: _Side, right: _Side, which: int) -> Array:
    """Per row: the best entry of `matrix` (left items by right items) over the row's
    items."""
    items_l, items_r = left.items(which), right.items(which)
    sizes_l = items_l.sizes[left.rows]
    sizes_r = items_r.sizes[right.rows]
    counts = sizes_l * sizes_r
    out = np.zeros(len(left.rows))
    total = int(counts.sum())
    if total == 0:
        return out
    row = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    offset = np.arange(total) - starts[row]
    i, j = offset // sizes_r[row], offset % sizes_r[row]
    a = items_l.flat[items_l.first[left.rows[row]] + i]
    b = items_r.flat[items_r.first[right.rows[row]] + j]
    some = np.flatnonzero(counts)
    out[some] = np.maximum.reduceat(matrix[a, b], starts[some])
    return out


def side_by_side(left: _Side, right: _Side) -> bool:
    """Is comparing every part of one side with every part of the other cheap, for the
    part pairs the rows hold? (u's batches: yes; blocked candidate pairs: no.)"""
    if min(len(left.values), len(right.values)) > FEW_VALUES:
        return False  # decided without reading the values' parts
    held = int((left.sizes(0)[left.rows] * right.sizes(0)[right.rows]).sum())
    every = len(left.items(0).items) * len(right.items(0).items)
    return every <= SIDE_BY_SIDE_MAX * max(held, 1)


def part_scores(left: _Side, right: _Side) -> Array:
    """Every part of `left` by every part of `right`: `names.token_similarity` where its
    bound reaches `EXACT_FROM`, the bound elsewhere."""
    parts_l, parts_r = left.items(0).items, right.items(0).items
    matrix = part_bounds(parts_l, parts_r)
    rows, cols = np.nonzero(matrix >= EXACT_FROM)
    matrix[rows, cols] = exact_where_close(matrix[rows, cols], parts_l, parts_r, rows, cols)
    return matrix


def best_parts(left: _Side, right: _Side, matrix: Array | None = None) -> Array:
    """Per row (both values non-empty): `xref.best_single_part` where it reaches
    `EXACT_FROM`, a bound under `EXACT_FROM` elsewhere (`matrix`: the sides'
    `part_scores`)."""
    if matrix is None:
        matrix = part_scores(left, right)
    return _row_best(matrix, left, right, 0)


def screened_names(
    left: _Side, right: _Side, best: Array, exact: PairScore, matrix: Array | None = None
) -> Array:
    """Per row (both values non-empty), with `best` its `best_parts`: a bound under the
    name comparison's lowest level where one is proven, else `exact`. `matrix`, the
    sides' `part_scores` where known, bounds the rows sharing a part per pair of names
    without scoring their part pairs again."""
    glued = _row_best(glued_bounds(left.items(1).items, right.items(1).items), left, right, 1)
    bound = np.maximum(np.maximum(0.0, best - 0.5 * (1.0 - best)), glued)
    below = (best < PART_BAR) & (bound < SCREEN_BAR - ROUNDING_MARGIN)
    out = bound.copy()
    rest = np.flatnonzero(~below)
    if not len(rest):
        return out
    # The rest (random pairs sharing a common part: rich world 8%) per pair of names, as
    # blocked pairs are: 96% of them stay under the lowest level that way.
    known = None if matrix is None else _part_lookup(left, right, matrix)
    scored = blocked_scores(
        left.values, left.rows[rest], right.values, right.rows[rest], True, known
    )
    if scored is not None and scored[1] is not None:
        out[rest] = scored[1]
        return out
    for k in rest.tolist():
        out[k] = exact(left.values[left.rows[k]], right.values[right.rows[k]])
    return out


def _part_lookup(left: _Side, right: _Side, matrix: Array) -> PartScores:
    """`matrix` (the sides' `part_scores`) read for any lists of the sides' parts."""
    at_l = {p: k for k, p in enumerate(left.items(0).items)}
    at_r = {p: k for k, p in enumerate(right.items(0).items)}

    def look_up(parts_l: Sequence[str], parts_r: Sequence[str]) -> Array:
        rows = np.fromiter((at_l[p] for p in parts_l), dtype=np.int64, count=len(parts_l))
        cols = np.fromiter((at_r[p] for p in parts_r), dtype=np.int64, count=len(parts_r))
        return np.asarray(matrix[np.ix_(rows, cols)])

    return look_up


class PrimedSample:
    """u's sample of records (`xref.u_sample`) scored pair by pair at once, before
    Splink asks for them: the name score and the best part of every two of its values.

    Why: Splink's u sampling joins a few hundred records with each other (300,000 pairs
    among ~765 records) and DuckDB hands each 2,048-pair batch to the name functions on its
    own, up to five times (once per level, and for the best part). Per batch the same parts
    were bounded again, the batch's values read and numbered, its results kept and looked
    up: 1.9 of u's 2.8 s on the rich world (ADR 0061). Here every part of the sample is
    compared with every other once (`part_scores`), each value's best part against each
    other's is read off that matrix, and the pairs sharing a part go to `blocked_scores`
    in one call, as a batch's do: each entry is what the per-batch path gives the same
    two values (its level, and its value where that path's value is exact). A batch whose
    values are all the sample's is then answered by indexing (`answer`).

    Only one orientation of a pair is scored (the first value's index lower) and copied
    to the other: the name scores are symmetric (`tests/match/test_names_asia.py`)."""

    def __init__(self, values: Sequence[str]) -> None:
        import pyarrow as pa

        distinct = list(dict.fromkeys(sys.intern(v) for v in values if v))
        self.values = pa.array(distinct, pa.string())
        side = _Side(distinct, np.arange(len(distinct), dtype=np.int64))
        matrix = part_scores(side, side)
        self.part = _value_best(matrix, side.items(0))
        glued = side.items(1).items
        self.name = self._names(
            side, matrix, self.part, _value_best(glued_bounds(glued, glued), side.items(1))
        )

    @staticmethod
    def _names(side: _Side, matrix: Array, best: Array, glued: Array) -> Array:
        """Every two values' `screened_names` (as `NameFunctions` gives it per batch), from
        their parts' scores (`matrix`), best parts and glued names' bounds."""
        bound = np.maximum(np.maximum(0.0, best - 0.5 * (1.0 - best)), glued)
        names = bound.copy()
        i, j = np.triu_indices(len(side.values), 1)
        rest = np.flatnonzero(
            (best[i, j] >= PART_BAR) | (bound[i, j] >= SCREEN_BAR - ROUNDING_MARGIN)
        )
        i, j = i[rest], j[rest]
        scored = blocked_scores(
            side.values, i, side.values, j, True, _part_lookup(side, side, matrix)
        )
        if scored is not None and scored[1] is not None:
            names[i, j] = scored[1]
        else:
            from palermo.match.xref import screened_name_similarity

            names[i, j] = [
                screened_name_similarity(side.values[a], side.values[b])
                for a, b in zip(i.tolist(), j.tolist(), strict=True)
            ]
        names[j, i] = names[i, j]
        np.fill_diagonal(names, 1.0)
        return names

    @staticmethod
    def fits(values: Sequence[str]) -> bool:
        """Are the values' distinct parts few enough for one matrix (`PRIMED_PARTS_MAX`)?"""
        parts = {p for v in dict.fromkeys(values) if v for p in _record(v)[0]}
        return len(parts) <= PRIMED_PARTS_MAX

    def answer(self, left: Any, right: Any, kind: str = "name") -> Array | None:
        """The scores of a batch (two pyarrow string columns) whose values are all the
        sample's (0 where either is null or empty), else None."""
        matrix = self.name if kind == "name" else self.part
        return _from_matrix(
            matrix, _sample_rows(self.values, left), _sample_rows(self.values, right)
        )


def _sample_rows(sample: Any, column: Any) -> Array | None:
    """Each row's position among a primed sample's values (`sample`, a pyarrow string
    array; -1: null or empty), looked up by Arrow in C; None if a value is not one of
    them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.type != pa.string():
        column = column.cast(pa.string())
    at = pc.index_in(column, value_set=sample)
    if at.null_count > column.null_count:
        # a value the sample lacks, unless it is only the empty string (no value)
        outside = pc.and_(pc.is_null(at), pc.not_equal(column, ""))
        if pc.any(outside).as_py():
            return None
    return np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _from_matrix(matrix: Array, rows_l: Array | None, rows_r: Array | None) -> Array | None:
    """Each row's entry of a primed matrix (0 where either value is missing)."""
    if rows_l is None or rows_r is None:
        return None
    return np.where((rows_l >= 0) & (rows_r >= 0), matrix[rows_l, rows_r], 0.0)


class PrimedPairs:
    """u's sample values of one column (`xref.u_sample`) with every two scored by a batch
    function in one call, before Splink asks for them (`Remembered.prime`).

    Why: as for the names (`PrimedSample`), u hands the address, birth place and document
    functions 2,048 pairs at a time, each read, numbered, kept and looked up again for the
    next level: 0.2-0.3 s of the rich world's u beside 0.4 s of scoring. All the sample's
    pairs in one call are scored side against side in C. One orientation is scored (the
    address and document scores are symmetric; `tests/match/test_xref_u_primed.py`)."""

    def __init__(self, values: Sequence[str], batch: Callable[[Any, Any], Array]) -> None:
        import pyarrow as pa

        distinct = list(dict.fromkeys(v for v in values if v))
        self.values = pa.array(distinct, pa.string())
        i, j = np.triu_indices(len(distinct))
        scores = np.asarray(
            batch(self.values.take(pa.array(i)), self.values.take(pa.array(j))), np.float64
        )
        self.matrix = np.zeros((len(distinct), len(distinct)))
        self.matrix[i, j] = scores
        self.matrix[j, i] = scores

    def answer(self, left: Any, right: Any, kind: str = "score") -> Array | None:
        """The batch's scores if all its values are the sample's, else None."""
        return _from_matrix(
            self.matrix, _sample_rows(self.values, left), _sample_rows(self.values, right)
        )


def _value_best(matrix: Array, items: _Items) -> Array:
    """Per two values (all the side's values by all of them): the best entry of `matrix`
    (the side's items by its items) over their items; 0 where one holds none."""
    size = len(items.sizes)
    out = np.zeros((size, size))
    some = np.flatnonzero(items.sizes)
    if not len(some):
        return out
    starts = items.first[some]
    by_row = np.maximum.reduceat(matrix[items.flat], starts, axis=0)
    out[np.ix_(some, some)] = np.maximum.reduceat(by_row[:, items.flat], starts, axis=1)
    return out


def _encoded(column: Any) -> tuple[list[str | None], Array]:
    """A batch's column (pyarrow) as its distinct values and each row's position among
    them (-1: null), without a Python object per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    rows = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return encoded.dictionary.to_pylist(), rows.astype(np.int64)


class RecentPairs:
    """The results of the last `recent` batches, kept by pair of values and looked up.

    DuckDB evaluates a comparison's levels one `CASE WHEN` at a time and calls a function
    again for every level a batch's pairs may reach, on the pairs that missed the levels
    before: the name score four times, the address and document scores twice, and the best
    part after the name score (ADR 0057). Each distinct value gets a number across batches,
    and a pair's key is its two numbers; the kept keys are sorted arrays, looked up with
    `searchsorted`."""

    def __init__(self, kinds: Sequence[str], recent: int = 16) -> None:
        self.size = recent
        self.numbers: dict[str, int] = {}
        self.recent: dict[str, list[tuple[Array, Array]]] = {kind: [] for kind in kinds}

    def keys(
        self,
        values_l: Sequence[str | None],
        rows_l: Array,
        values_r: Sequence[str | None],
        rows_r: Array,
    ) -> Array:
        """Each row's key (-1: a null or empty value on either side)."""
        # a null row (-1) reads the -1 appended after the values' numbers
        ids_l = np.append(self._ids(values_l), -1)[rows_l]
        ids_r = np.append(self._ids(values_r), -1)[rows_r]
        valid = (ids_l >= 0) & (ids_r >= 0)
        return np.where(valid, ids_l * (1 << 32) + ids_r, -1)

    def _ids(self, values: Sequence[str | None]) -> Array:
        """Each distinct value's number across batches (-1: no value)."""
        if len(self.numbers) + len(values) > NUMBERS_MAX:
            self.numbers.clear()
            for kept in self.recent.values():
                kept.clear()
        numbers = [self.numbers.setdefault(v, len(self.numbers)) if v else -1 for v in values]
        return np.array(numbers, dtype=np.int64)

    def keep(self, kind: str, keys: Array, values: Array) -> None:
        order = np.argsort(keys)
        kept = self.recent[kind]
        kept.append((keys[order], values[order]))
        del kept[: -self.size]

    def look_up(self, kind: str, keys: Array, out: Array) -> Array:
        """Fills `out` where a key was kept; returns where."""
        found = np.zeros(len(keys), dtype=bool)
        for kept_keys, kept_values in reversed(self.recent[kind]):
            missing = np.flatnonzero(~found & (keys >= 0))
            if not len(missing):
                break
            at = np.searchsorted(kept_keys, keys[missing])
            at[at == len(kept_keys)] = 0
            hit = kept_keys[at] == keys[missing] if len(kept_keys) else np.zeros(0, dtype=bool)
            out[missing[hit]] = kept_values[at[hit]]
            found[missing[hit]] = True
        return found


class LastCalls:
    """The columns and scores of a function's last few calls, to answer the calls that
    only narrow one of them.

    DuckDB evaluates a comparison's `CASE WHEN`s one after the other, and calls the
    function again with the rows that missed the level before: the last call's rows whose
    score was under that level's threshold, in the same order. Where a new call's columns
    equal a kept call's columns filtered by "score under some threshold" (compared by
    Arrow in C), its scores are that call's scores filtered the same way, and no value of
    the batch is read into Python (encoding and looking up every row was a third of the
    name functions' time, ADR 0057). Any other call misses and is scored as before."""

    def __init__(self, kept: int = 4) -> None:
        self.kept = kept
        # columns, scores, their distinct values and how many scores are under each
        self.calls: list[tuple[Any, Any, Array, Array, Array]] = []

    def answer(self, left: Any, right: Any) -> Array | None:
        for kept_l, kept_r, scores, cuts, under in reversed(self.calls):
            if len(left) > len(scores):
                continue
            rows = _under_a_threshold(scores, cuts, under, len(left))
            if rows is None:
                continue
            if left.equals(kept_l.filter(rows)) and right.equals(kept_r.filter(rows)):
                return np.asarray(scores[rows])
        return None

    def scored(self, left: Any, right: Any, score: Callable[[Any, Any], Array]) -> Array:
        """`score` of the two columns, or the answer from a kept call; kept either way."""
        out = self.answer(left, right)
        if out is None:
            out = score(left, right)
        self.keep(left, right, out)
        return out

    def keep(self, left: Any, right: Any, scores: Array) -> None:
        cuts = np.unique(scores)
        under = np.searchsorted(np.sort(scores), cuts, side="left")
        self.calls.append((left, right, scores, cuts, under))
        del self.calls[: -self.kept]


def _under_a_threshold(scores: Array, cuts: Array, under: Array, count: int) -> Array | None:
    """The rows whose score is under the one threshold (any value between two of the
    distinct scores `cuts` gives the same rows; `under`: how many scores are under each)
    that leaves `count` of them, if there is one."""
    if count == len(scores):
        return np.ones(len(scores), dtype=bool)
    at = np.flatnonzero(under == count)
    return np.asarray(scores < cuts[at[0]]) if len(at) else None


def _combined(column: Any) -> Any:
    import pyarrow as pa

    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


class Answers(Protocol):
    """Scores known before DuckDB asks (`PrimedSample`, `PrimedPairs`,
    `xref_primed.PrimedPairList`): a batch's scores of one kind, or None where it holds a
    pair they do not know."""

    def answer(self, left: Any, right: Any, kind: str = "score") -> Array | None: ...


class Primed(ABC):
    """A batch function's answers known in advance (`Answers`): added by the run that
    scored them (u's sample, the candidate pairs) and dropped when it is done. Answers
    depend only on the two values, so one run's serve another's batches just as well."""

    @abstractmethod
    def score_pairs(self, values: list[str], rows_l: Array, rows_r: Array) -> dict[str, Array]:
        """Every pair of `values` (positions `rows_l`, `rows_r`) scored in one call, per
        kind of answer (`xref_primed.PairsScorer`)."""

    def __init__(self) -> None:
        self.primed: list[Answers] = []
        self.lock = threading.Lock()  # DuckDB may call from several threads

    def add_primed(self, primed: list[Answers]) -> list[Answers]:
        with self.lock:
            self.primed = [*self.primed, *primed]
        return primed

    def unprime(self, primed: Sequence[Answers]) -> None:
        """Drop `primed`."""
        with self.lock:
            self.primed = [p for p in self.primed if all(p is not q for q in primed)]

    def primed_answer(self, left: Any, right: Any, kind: str) -> Array | None:
        """The batch's scores from the first primed answers that know all its pairs
        (called under `lock`)."""
        for answers in self.primed:
            answered = answers.answer(left, right, kind)
            if answered is not None:
                return answered
        return None


class Remembered(Primed):
    """A batch function (`engines.Batched.batch`) that computes each pair once across the
    calls DuckDB makes for one batch, one per level (`RecentPairs`): the address and the
    document scores of u's random pairs were computed twice (ADR 0057, amendment of
    2026-11-30). Rows whose pair was not kept, nulls among them, go to `batch`."""

    def __init__(self, batch: Callable[[Any, Any], Array]) -> None:
        self.batch = batch
        # the calls for one batch's levels come one after the other: a miss searches
        # every kept batch, so few are kept
        super().__init__()
        self.pairs = RecentPairs(["score"], recent=4)
        self.last = LastCalls()

    def prime(self, columns: Sequence[Sequence[str]]) -> list[Answers]:
        """Score u's sample of each column the function compares (`PrimedPairs`) before
        its batches come; columns with more than `PRIMED_VALUES_MAX` values are not.
        Answers stay the same either way."""
        primed: list[Answers] = [
            PrimedPairs(values, self.batch)
            for values in columns
            if values and len(set(values)) <= PRIMED_VALUES_MAX
        ]
        return self.add_primed(primed)

    def score_pairs(self, values: list[str], rows_l: Array, rows_r: Array) -> dict[str, Array]:
        """The score of each pair of `values` (positions `rows_l`, `rows_r`) in one call
        (`xref_primed.PairsScorer`)."""
        import pyarrow as pa

        column = pa.array(values, pa.string())
        scores = self.batch(column.take(pa.array(rows_l)), column.take(pa.array(rows_r)))
        return {"score": np.asarray(scores, dtype=np.float64)}

    def __call__(self, left: Any, right: Any) -> Array:
        with self.lock:
            left, right = _combined(left), _combined(right)
            answered = self.primed_answer(left, right, "score")
            if answered is not None:
                return answered
            return self.last.scored(left, right, self._score)

    def _score(self, left: Any, right: Any) -> Array:
        import pyarrow as pa

        values_l, rows_l = _encoded(left)
        values_r, rows_r = _encoded(right)
        keys = self.pairs.keys(values_l, rows_l, values_r, rows_r)
        out = np.zeros(len(keys))
        todo = np.flatnonzero(~self.pairs.look_up("score", keys, out))
        if len(todo) == len(keys):
            out = np.asarray(self.batch(left, right), dtype=np.float64)
        elif len(todo):
            at = pa.array(todo)
            out[todo] = np.asarray(self.batch(left.take(at), right.take(at)), dtype=np.float64)
        some = todo[keys[todo] >= 0]
        if len(some):
            self.pairs.keep("score", keys[some], out[some])
        return out


class NameFunctions(Primed):
    """`palermo_name_sim` and `palermo_name_part` for batches of pairs (pyarrow string
    columns, as DuckDB hands them over). DuckDB asks for the name score once per level
    a batch's pairs reach, and for the best part after: the last batches' results are
    kept by pair and looked up, not computed again (`RecentPairs`)."""

    def __init__(self, name: PairScore, part: PairScore) -> None:
        # DuckDB may call from several threads: the numbering and the kept results change
        # together, so one batch at a time (`Primed.lock`).
        super().__init__()
        self.name, self.part = name, part
        self.pairs = RecentPairs(["name", "part"])
        # the best part is asked once per batch, after the levels: nothing to narrow
        self.last = LastCalls()

    def prime(self, values: Sequence[str]) -> list[Answers]:
        """Score u's sample (`PrimedSample`) before its batches come; not where its parts
        are too many for one matrix. Answers stay the same either way."""
        return self.add_primed([PrimedSample(values)] if PrimedSample.fits(values) else [])

    def score_pairs(self, values: list[str], rows_l: Array, rows_r: Array) -> dict[str, Array]:
        """The name score and the best part of each pair of `values` (positions `rows_l`,
        `rows_r`), as the batches' path gives them (`xref_primed.PairsScorer`): the pairs
        in `blocked_scores` calls of at most `PRIMED_CELLS_MAX` part pairs each."""
        sizes = np.array([len(_record(v)[0]) for v in values], dtype=np.int64)
        cells = np.cumsum(sizes[rows_l] * sizes[rows_r])
        name, part = np.zeros(len(rows_l)), np.zeros(len(rows_l))
        start = 0
        while start < len(rows_l):
            before = int(cells[start - 1]) if start else 0
            end = max(int(np.searchsorted(cells, before + PRIMED_CELLS_MAX, "right")), start + 1)
            chunk = slice(start, end)
            part[chunk], name[chunk] = self._scored(values, rows_l[chunk], rows_r[chunk])
            start = end
        return {"name": name, "part": part}

    def _scored(self, values: list[str], rows_l: Array, rows_r: Array) -> tuple[Array, Array]:
        """The best part and the name score of each pair (`blocked_scores`, or pair by
        pair where one pair alone holds more than `CELLS_MAX` part pairs)."""
        scored = blocked_scores(values, rows_l, values, rows_r, True)
        if scored is not None and scored[1] is not None:
            return scored[0], scored[1]
        pairs = list(zip(rows_l.tolist(), rows_r.tolist(), strict=True))
        return (
            np.array([self.part(values[a], values[b]) for a, b in pairs]),
            np.array([self.name(values[a], values[b]) for a, b in pairs]),
        )

    def name_sim(self, left: Any, right: Any) -> Array:
        return self._run(left, right, "name")

    def name_part(self, left: Any, right: Any) -> Array:
        return self._run(left, right, "part")

    def _run(self, left: Any, right: Any, kind: str) -> Array:
        with self.lock:
            left, right = _combined(left), _combined(right)
            answered = self.primed_answer(left, right, kind)
            if answered is not None:
                return answered
            if kind == "part":
                return self._batch(left, right, kind)
            return self.last.scored(left, right, lambda a, b: self._batch(a, b, kind))

    def _batch(self, left: Any, right: Any, kind: str) -> Array:
        values_l, rows_l = _encoded(left)
        values_r, rows_r = _encoded(right)
        keys = self.pairs.keys(values_l, rows_l, values_r, rows_r)
        out = np.zeros(len(rows_l))
        todo = (keys >= 0) & ~self.pairs.look_up(kind, keys, out)
        if todo.any():
            where = np.flatnonzero(todo)
            left_side = _side(values_l, rows_l[where])
            right_side = _side(values_r, rows_r[where])
            out[where] = self._compute(kind, left_side, right_side, keys[where])
        return out

    def _compute(self, kind: str, left: _Side, right: _Side, keys: Array) -> Array:
        if not side_by_side(left, right):
            blocked = blocked_scores(
                left.values, left.rows, right.values, right.rows, kind == "name"
            )
            if blocked is None:  # too many part pairs for one batch: pair by pair
                pair = self.name if kind == "name" else self.part
                return np.array(
                    [
                        pair(left.values[a], right.values[b])
                        for a, b in zip(left.rows, right.rows, strict=True)
                    ]
                )
            best, names = blocked
            self.pairs.keep("part", keys, best)
            if names is None:
                return best
            self.pairs.keep("name", keys, names)
            return names
        matrix = part_scores(left, right)
        best = best_parts(left, right, matrix)
        self.pairs.keep("part", keys, best)
        if kind == "part":
            return best
        names = screened_names(left, right, best, self.name, matrix)
        self.pairs.keep("name", keys, names)
        return names


def _side(values: list[str | None], rows: Array) -> _Side:
    """The side of a batch's rows `rows` (positions in `values`), its values compacted."""
    used, compact = np.unique(rows, return_inverse=True)
    # interned: the pair functions' caches then share one copy of each value (ADR 0054)
    return _Side([sys.intern(values[k] or "") for k in used], compact.astype(np.int64))
