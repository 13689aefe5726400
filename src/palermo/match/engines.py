"""Where Splink runs cross-referencing: DuckDB on one machine, Spark to scale out.

Both take the same settings (`match.xref.settings`: plain SQL with palermo's similarity
functions) and the same model; an engine only knows how to open a Splink database API with
those functions registered and how to read one column of a result back. Choosing Spark
changes where the pairs are scored, not what they score.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

PairFunction = Callable[[str | None, str | None], float]
# A batch's two columns (pyarrow arrays of strings) to one score per row.
BatchFunction = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Batched:
    """A pair function with a form for a whole batch of pairs that gives every pair the
    same comparison level (`match.xref_batch`, ADR 0057). DuckDB, which hands its
    functions a batch at a time, calls `batch`; Spark calls `pair` row by row."""

    pair: PairFunction
    batch: BatchFunction

    def __call__(self, left: str | None, right: str | None) -> float:
        return self.pair(left, right)


class Engine(Protocol):
    def api(self, functions: Mapping[str, PairFunction]) -> Any:
        """A fresh Splink database API on which `functions` can be called from SQL."""
        ...

    def register(self, api: Any, table: Any) -> Any:
        """Hand the records (a pyarrow Table of string columns) to Splink."""
        ...

    def column(self, api: Any, table: str, column: str) -> np.ndarray[Any, Any]:
        """One numeric column of a table the API made, as float64."""
        ...


@dataclass(frozen=True)
class DuckDB:
    """The embedded default: memory held to `memory` (PALERMO_XREF_MEMORY, default 4GB);
    DuckDB spills candidate pairs to a temporary folder rather than take the host."""

    memory: str = os.environ.get("PALERMO_XREF_MEMORY", "4GB")

    def api(self, functions: Mapping[str, PairFunction]) -> Any:
        from splink.backends.duckdb import DuckDBAPI

        db_api = DuckDBAPI()
        con: Any = db_api._con  # DuckDB's stubs know no Arrow UDF of this shape
        con.execute(f"SET memory_limit = '{self.memory}'")
        con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/palermo-duckdb'")
        for name, fn in functions.items():
            con.create_function(
                name,
                _arrow(fn),
                ["VARCHAR", "VARCHAR"],
                "DOUBLE",
                type="arrow",
                null_handling="special",
            )
        return db_api

    def register(self, api: Any, table: Any) -> Any:
        return api.register(table)

    def column(self, api: Any, table: str, column: str) -> np.ndarray[Any, Any]:
        result = api._con.execute(f"SELECT {column} FROM {table}").fetchnumpy()[column]
        return np.asarray(result, dtype=np.float64)


@dataclass(frozen=True)
class Spark:
    """A Spark session's cluster (or `local[*]`): palermo's functions run as Python UDFs
    on the executors, which must have palermo installed (see `spark_session`)."""

    session: Any

    def api(self, functions: Mapping[str, PairFunction]) -> Any:
        from pyspark.sql.types import DoubleType
        from splink.backends import spark

        for name, fn in functions.items():
            pair = fn.pair if isinstance(fn, Batched) else fn
            self.session.udf.register(name, pair, DoubleType())
        api: Any = spark.SparkAPI  # untyped in Splink
        return api(spark_session=self.session, break_lineage_method="parquet")

    def register(self, api: Any, table: Any) -> Any:
        # Every feature is text; an explicit schema keeps all-empty columns typed.
        schema = ", ".join(f"{name} string" for name in table.column_names)
        return api.register(self.session.createDataFrame(table.to_pylist(), schema=schema))

    def column(self, api: Any, table: str, column: str) -> np.ndarray[Any, Any]:
        rows = self.session.sql(f"SELECT {column} FROM {table}").collect()
        return np.asarray([r[0] for r in rows], dtype=np.float64)


def spark_session(master: str = "local[2]", memory: str = "2g") -> Any:
    """A Spark session ready for Splink: its similarity jar (Damerau-Levenshtein, Jaro)
    on the class path and this Python on the executors, so palermo's UDFs import."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("palermo-xref")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.checkpoint.dir", tempfile.mkdtemp(prefix="palermo-spark-"))
        .getOrCreate()
    )


def _arrow(fn: PairFunction) -> Callable[[Any, Any], Any]:
    """Wrap a pairwise function as a vectorised DuckDB UDF: one Python call per batch.

    Arrow hands over a new string object per row and batch, and the pair functions cache
    by their arguments (`xref.screened_name_similarity` and others, millions of pairs): a
    cached pair would keep its own copy of both records' values. Interned, every cached
    pair shares the one copy of each distinct value (ADR 0054)."""
    import pyarrow as pa

    if isinstance(fn, Batched):
        batch = fn.batch

        def run_batch(left: Any, right: Any) -> Any:
            return pa.array(batch(left, right), pa.float64())

        return run_batch

    def run(left: Any, right: Any) -> Any:
        return pa.array(distinct_pairs(fn, left, right), pa.float64())

    return run


def distinct_pairs(fn: PairFunction, left: Any, right: Any) -> np.ndarray[Any, Any]:
    """`fn` of every row of two pyarrow string columns, called once per distinct pair of
    values (nulls as None): a u batch's rows are mostly distinct pairs, but many hold a
    null, and a Python string per row and its interning cost as much as the call (ADR
    0057 amendment). Each distinct value is interned once per batch."""
    values_l, rows_l = encoded(left)
    values_r, rows_r = encoded(right)
    code = rows_l * (len(values_r) + 1) + rows_r
    distinct, inverse = np.unique(code, return_inverse=True)
    width = len(values_r) + 1
    scores = np.array(
        [fn(values_l[c // width], values_r[c % width]) for c in distinct.tolist()],
        dtype=np.float64,
    )
    return np.asarray(scores[inverse.reshape(-1)])


def encoded(column: Any, intern: bool = True) -> tuple[list[str | None], np.ndarray[Any, Any]]:
    """A column's distinct values, None last, and each row's position. Interned for
    functions that cache by value (`distinct_pairs`); values only compared in C need not
    be."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column)
    values: list[str | None] = encoded.dictionary.to_pylist()
    if intern:
        values = [_interned(v) for v in values]
    rows = pc.fill_null(encoded.indices, len(values)).to_numpy(zero_copy_only=False)
    return [*values, None], rows.astype(np.int64)


def _interned(value: str | None) -> str | None:
    return sys.intern(value) if value is not None else None
