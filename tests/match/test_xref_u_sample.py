"""u counted over every sampled pair, one query per comparison (issue 22, ADR 0057
amendment of 2026-12-01)."""

from __future__ import annotations

import random
from typing import Any

import pyarrow as pa
import pytest

import palermo.match.xref as xref
from palermo.match.xref import XrefRecord, broad_keys, features


def records(n: int) -> list[XrefRecord]:
    """People with a few common nationalities and both sexes (levels every comparison of
    which is seen 100 times in a small probe) and names and dates (rarer levels)."""
    rng = random.Random(5)
    given = ("Anna", "Ivan", "Olga", "Chen", "Ada", "Juan", "Maria", "Emeka", "Sami")
    family = ("Berg", "Petrov", "Sidorova", "Wei", "Obi", "Perez", "Lopez", "Okoro", "Haddad")
    return [
        XrefRecord(
            f"r{i}",
            "AB"[i % 2],
            (f"{rng.choice(given)} {rng.choice(family)}{rng.randrange(40)}",),
            f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(9)}",
            nationality=rng.choice(("NG", "NG", "UA", "RO", "VN")),
            sex=rng.choice(("male", "female")),
        )
        for i in range(n)
    ]


def u_values(linker: Any) -> dict[str, list[float]]:
    return {
        c.output_column_name: [
            round(level.u_probability, 9)
            for level in c.comparison_levels
            if not level.is_null_level and isinstance(level.u_probability, float)
        ]
        for c in linker._settings_obj.comparisons
    }


def fresh_linker(rows: list[dict[str, Any]]) -> Any:
    return xref._linker(pa.Table.from_pylist(rows), xref.settings(), xref.DuckDB())


def test_u_of_every_comparison_is_counted_over_every_sampled_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """palermo's u equals Splink's count over every slice of the sample with early
    stopping off, for every level of every comparison. Splink's default (ten slices after
    a probe, a comparison stopped once each level was seen 100 times) gives the common-
    valued comparisons their u from the probe's pairs alone: checked here too, so the data
    does exercise the difference."""
    monkeypatch.setattr(xref, "U_PAIRS", 60_000)
    rows = [dict(features(r)) for r in records(1_200)]
    broad_keys(rows)

    ours = fresh_linker(rows)
    xref._estimate_u(ours)
    every = fresh_linker(rows)
    every.training.estimate_u_using_random_sampling(
        max_pairs=xref.U_PAIRS, seed=xref.U_SEED, num_chunks=10, min_count_per_level=None
    )
    assert u_values(ours) == u_values(every)

    probed = fresh_linker(rows)
    probed.training.estimate_u_using_random_sampling(max_pairs=xref.U_PAIRS, seed=xref.U_SEED)
    differ = {k for k, v in u_values(probed).items() if v != u_values(every)[k]}
    assert "nationality" in differ
