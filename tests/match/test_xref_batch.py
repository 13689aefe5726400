"""The name functions DuckDB calls a batch at a time (ADR 0057): every pair must get the
level of the name comparison, and the "one part the same" answer, that the exact scores
give, on u-shaped batches (many records against a few) of the world's and FEBRL's random
pairs and on blocked-shaped batches of similar ones; the part bound is never under
`token_similarity`."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import palermo.match.xref as xref
from palermo.match.engines import Batched
from palermo.match.names import token_similarity
from palermo.match.xref_batch import NameFunctions, part_bounds
from tests.match.test_xref_screen import (
    febrl_rows,
    level,
    name_thresholds,
    pairs_to_check,
    world_rows,
)

Batch = tuple[list[str | None], list[str | None]]


def duckdb_calls(functions: NameFunctions, left: list[str | None], right: list[str | None]) -> Any:
    """As DuckDB asks: the name score for every row, again for the rows under the first
    level (answered from what was kept), then the best part."""
    names = np.asarray(functions.name_sim(pa.array(left), pa.array(right)))
    rest = [k for k in range(len(left)) if names[k] < 0.97]
    again = functions.name_sim(
        pa.array([left[k] for k in rest]), pa.array([right[k] for k in rest])
    )
    assert np.array_equal(np.asarray(again), names[rest])
    return names, np.asarray(functions.name_part(pa.array(left), pa.array(right)))


def batches(rows: list[dict[str, Any]], truth: dict[str, str]) -> list[Batch]:
    values = sorted({r["name_parts"] for r in rows if r["name_parts"]})
    sample = random.Random(1).sample(values, min(500, len(values)))
    out: list[Batch] = []
    for k in range(0, 24, 3):  # u: every sampled record against the next few
        few = sample[k : k + 3]
        out.append(([a for a in sample for _ in few], [b for _ in sample for b in few]))
    similar = sorted(pairs_to_check(rows, truth, 0))
    for k in range(0, len(similar), 2048):  # blocked candidates: pair by pair
        chunk = similar[k : k + 2048]
        out.append(([a for a, _ in chunk], [b for _, b in chunk]))
    out.append((["a b", None, "", "ab"], ["a b", "x", "y", None]))  # missing names
    return out


def assert_same_levels(rows: list[dict[str, Any]], truth: dict[str, str]) -> int:
    thresholds = name_thresholds()
    functions = NameFunctions(xref.screened_name_similarity, xref.best_single_part)
    checked = 0
    for left, right in batches(rows, truth):
        names, parts = duckdb_calls(functions, left, right)
        for a, b, name, part in zip(left, right, names, parts, strict=True):
            exact = xref.best_name_similarity(a, b)
            exact_part = xref.best_single_part(a, b)
            assert level(name, thresholds) == level(exact, thresholds), (a, b, name, exact)
            assert (part >= 0.97) == (exact_part >= 0.97), (a, b, part, exact_part)
            if exact_part >= 0.97:
                assert part == exact_part
            checked += 1
    return checked


def test_batches_give_the_exact_levels_on_world_pairs(tmp_path: Path) -> None:
    rows, truth = world_rows(tmp_path)
    assert assert_same_levels(rows, truth) > 4_000


def test_batches_give_the_exact_levels_on_febrl_pairs() -> None:
    rows, truth = febrl_rows()
    assert assert_same_levels(rows, truth) > 10_000


def test_u_batches_are_screened_side_by_side_and_candidates_pair_by_pair() -> None:
    rows, truth = febrl_rows()
    u_batch, *rest = batches(rows, truth)
    calls: list[tuple[str | None, str | None]] = []

    def exact(a: str | None, b: str | None) -> float:
        calls.append((a, b))
        return xref.screened_name_similarity(a, b)

    functions = NameFunctions(exact, xref.best_single_part)
    functions.name_sim(pa.array(u_batch[0]), pa.array(u_batch[1]))
    assert 0 < len(calls) < len(u_batch[0]) / 5  # most random pairs never reach Python
    calls.clear()
    blocked = rest[-2]
    functions.name_sim(pa.array(blocked[0]), pa.array(blocked[1]))
    assert len(calls) == len({(a, b) for a, b in zip(*blocked, strict=True) if a and b})


def test_duckdb_gets_the_batch_form_and_spark_the_pair_form() -> None:
    name = xref.UDFS["palermo_name_sim"]
    assert isinstance(name, Batched)
    assert name("ivan petrov", "ivan petrov") == xref.screened_name_similarity(
        "ivan petrov", "ivan petrov"
    )


PART = st.text("abcdehijklmnorstuyz", min_size=1, max_size=9)


@settings(max_examples=200, deadline=None)
@given(st.lists(PART, min_size=1, max_size=6), st.lists(PART, min_size=1, max_size=6))
def test_part_bound_is_never_under_token_similarity(left: list[str], right: list[str]) -> None:
    bound = part_bounds(left, right)
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            assert bound[i, j] >= token_similarity(a, b) - 1e-12, (a, b)
