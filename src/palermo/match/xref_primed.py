"""The candidate pairs' Python similarities, scored at once before Splink asks (issue 22).

Why: the candidate pairs' comparison vectors (`xref.candidate_vectors`) ran the name,
address and document functions batch by batch as DuckDB handed them over: 2,048 pairs at a
time, up to four times per batch (once per level), each call reading its values into
Python, numbering them, building the batch's part slots and part-pair bounds again and
keeping its results for the next level's call. On the rich world's 65,779 candidate pairs
that was 1.5 s, ~23 µs a pair, against Splink's 3.4 s for its whole run (ADR 0062).

The blocked pairs are known before the vectors are computed (Splink materialises them
first), so here every distinct pair of values a function will be asked about is read from
the database in one query and scored in one call (the name functions: `blocked_scores`
over all of them, under `CELLS_MAX` part pairs a call), and DuckDB's batches are answered
by looking their pairs up (`PrimedPairList.answer`). Every answer is what the batch path
gives the same two values: the same functions score them, only grouped differently, and
their results do not depend on the grouping (`tests/match/test_xref_primed.py`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

log = logging.getLogger(__name__)

Array = np.ndarray[Any, Any]
# The scores of every distinct pair: (the distinct values, each pair's two positions among
# them) to one array of scores per kind ("name" and "part", or "score").
PairsScorer = Callable[[list[str], Array, Array], dict[str, Array]]


class PrimedPairList:
    """Given pairs of values (two pyarrow string columns), each distinct pair scored once
    by `scorer`, kept sorted by pair and answered by lookup.

    Values are numbered by a Python dict built once: a batch's distinct values are looked
    up in it (`_encoded`), so an answer costs the batch's size, not the list's (Arrow's
    `index_in` builds its hash table of the value set on every call)."""

    def __init__(self, left: Any, right: Any, scorer: PairsScorer) -> None:
        values_l, rows_l = _encoded(left)
        values_r, rows_r = _encoded(right)
        self.numbers: dict[str, int] = {}
        ids_l = self._ids(values_l)[rows_l]
        ids_r = self._ids(values_r)[rows_r]
        self.values = list(self.numbers)
        both = (ids_l >= 0) & (ids_r >= 0)
        self.keys = np.unique(ids_l[both] * len(self.values) + ids_r[both])
        width = max(len(self.values), 1)
        self.scores = scorer(self.values, self.keys // width, self.keys % width)

    def _ids(self, values: Sequence[str | None]) -> Array:
        """Each value's number (-1: null or empty), numbering the new ones; -1 appended for
        the null rows (`_encoded` gives them the last position)."""
        numbers = [self.numbers.setdefault(v, len(self.numbers)) if v else -1 for v in values]
        return np.array([*numbers, -1], dtype=np.int64)

    def answer(self, left: Any, right: Any, kind: str = "score") -> Array | None:
        """The batch's scores of `kind` (0 where either value is null or empty), or None if
        one of its pairs is not in the list."""
        if kind not in self.scores:
            return None
        ids_l, ids_r = self._known(left), self._known(right)
        if ids_l is None or ids_r is None:
            return None
        both = (ids_l >= 0) & (ids_r >= 0)
        keys = ids_l[both] * len(self.values) + ids_r[both]
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        if len(keys) and not (self.keys[at] == keys).all():
            return None
        out = np.zeros(len(ids_l))
        out[both] = self.scores[kind][at]
        return out

    def _known(self, column: Any) -> Array | None:
        """Each row's value number (-1: null or empty), None if one is not numbered."""
        values, rows = _encoded(column)
        numbers = [self.numbers.get(v, -2) if v else -1 for v in values]
        if -2 in numbers:
            return None
        return np.array([*numbers, -1], dtype=np.int64)[rows]


def _encoded(column: Any) -> tuple[list[str | None], Array]:
    """A column's distinct values and each row's position among them (nulls: one past the
    last value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.type != pa.string():
        column = column.cast(pa.string())
    encoded = pc.dictionary_encode(column)
    values: list[str | None] = encoded.dictionary.to_pylist()
    rows = pc.fill_null(encoded.indices, len(values)).to_numpy(zero_copy_only=False)
    return values, rows.astype(np.int64)


class OneTable(NamedTuple):
    """The DuckDB connection of a linker that deduplicates one table, the table's name in
    it and its columns."""

    con: Any
    name: str
    columns: frozenset[str]


def one_table(linker: Any) -> OneTable | None:
    """`OneTable` of the linker; None where palermo cannot read its records directly (not
    DuckDB, or not one table deduplicated): the Python functions then score each batch as it
    comes, with the same results."""
    tables = list(linker._input_tables_dict.values())
    if (
        linker._sql_dialect_str != "duckdb"
        or linker._settings_obj._link_type != "dedupe_only"
        or len(tables) != 1
    ):
        return None
    con = linker._db_api._con
    name = tables[0].physical_name
    columns = frozenset(r[0] for r in con.execute(f"DESCRIBE {name}").fetchall())
    return OneTable(con, name, columns)


def pair_columns(
    linker: Any, blocked: Sequence[Any], columns: Sequence[str]
) -> dict[str, tuple[Any, Any]]:
    """Both records' values of each of `columns` (those the input has) for every pair of
    the `blocked` tables (Splink's blocked pairs: `join_key_l`, `join_key_r`), as pyarrow
    columns; {} where palermo cannot read them so (`one_table`)."""
    found = one_table(linker)
    wanted = [c for c in columns if found is not None and c in found.columns]
    if found is None or not wanted:
        return {}
    con, table = found.con, found.name
    settings_obj = linker._settings_obj
    uid = settings_obj.column_info_settings.unique_id_input_columns[0].name
    selected = ", ".join(f'l."{c}" AS "l{k}", r."{c}" AS "r{k}"' for k, c in enumerate(wanted))
    pairs = " UNION ALL ".join(
        f"SELECT join_key_l, join_key_r FROM {b.physical_name}" for b in blocked
    )
    result = con.sql(
        f"SELECT {selected} FROM ({pairs}) AS b "
        f"JOIN {table} AS l ON l.{uid} = b.join_key_l "
        f"JOIN {table} AS r ON r.{uid} = b.join_key_r"
    ).to_arrow_table()
    return {c: (result.column(f"l{k}"), result.column(f"r{k}")) for k, c in enumerate(wanted)}


def primed_lists(
    linker: Any, blocked: Sequence[Any], scorers: Mapping[str, PairsScorer]
) -> dict[str, PrimedPairList]:
    """Per column of `scorers` that the records have: the pairs of the `blocked` tables
    scored at once. The columns are read one at a time, so only one column's pair values
    are held (at a million records, 11.5 million pairs: ADR 0063); what is kept of each is
    its distinct values and pairs."""
    lists: dict[str, PrimedPairList] = {}
    for column, scorer in scorers.items():
        lists.update(scored(pair_columns(linker, blocked, [column]), {column: scorer}))
    return lists


def scored(
    columns: Mapping[str, tuple[Any, Any]], scorers: Mapping[str, PairsScorer]
) -> dict[str, PrimedPairList]:
    """Each column's pairs (`pair_columns`) scored by its scorer."""
    return {c: PrimedPairList(*columns[c], scorers[c]) for c in columns}


def scored_aside(
    columns: Mapping[str, tuple[Any, Any]], scorers: Mapping[str, PairsScorer]
) -> Future[dict[str, PrimedPairList]]:
    """`scored` on another thread, while the caller's runs Splink's queries: DuckDB lets
    go of the GIL while it executes, so on a second core the scoring (Python and numpy)
    and the queries overlap (ADR 0062). The thread reads only `columns`, never the
    database (a DuckDB connection serves one thread at a time)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="palermo-xref-primed")
    try:
        return pool.submit(scored, columns, scorers)
    finally:
        pool.shutdown(wait=False)  # the submitted scoring still runs to its end


def in_two_processes(
    scorer: PairsScorer, values: list[str], rows_l: Array, rows_r: Array, minimum: int
) -> dict[str, Array]:
    """`scorer`'s scores of the pairs, from `minimum` pairs on every other pair scored in a
    spawned process while this one scores the rest. The name scorer is Python and numpy
    under the GIL: two threads took 5.7 s where one took 7.0, and at a million records
    DuckDB waits idle for the 115 s it takes (ADR 0063). Scores depend only on the two
    values, so the halves' scores are the whole's. `scorer` must be importable by name (a
    module's function) to reach the other process; if that process fails, its half is
    scored here (priming saves time only)."""
    if len(rows_l) < minimum or len(os.sched_getaffinity(0)) < 2:
        return scorer(values, rows_l, rows_r)
    # Every other pair, not the first and second half: the pairs are sorted by their left
    # value, and a half of long names costs more than a half of short ones.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        other = pool.submit(scorer, values, rows_l[1::2], rows_r[1::2])
        mine = scorer(values, rows_l[0::2], rows_r[0::2])
        try:
            theirs = other.result()
        except Exception as exc:  # the half is scored here instead
            log.warning("cross-referencing: second scoring process failed (%s)", exc)
            theirs = scorer(values, rows_l[1::2], rows_r[1::2])
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return {kind: _interleaved(mine[kind], theirs[kind]) for kind in mine}


def _interleaved(even: Array, odd: Array) -> Array:
    out = np.empty(len(even) + len(odd), dtype=np.result_type(even, odd))
    out[0::2], out[1::2] = even, odd
    return out
