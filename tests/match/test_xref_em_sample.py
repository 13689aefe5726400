"""EM's blockings thinned to whole blocks above `EM_PAIRS_MAX` pairs (issue 15, ADR 0060)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any

import duckdb
import pyarrow as pa
import pytest

import palermo.match.xref as xref
from palermo.match.xref import XrefRecord, broad_keys, features


def rows(n: int, days: int = 60) -> list[dict[str, Any]]:
    """Persons with two records each, born on `days` different days: the birth date joins
    about n² / (2 days) pairs."""
    given = ("Anna", "Ivan", "Olga", "Chen", "Ada", "Juan", "Maria", "Emeka", "Sami")
    family = ("Berg", "Petrov", "Sidorova", "Wei", "Obi", "Perez", "Lopez", "Okoro")
    out = []
    for i in range(n):
        person = random.Random(i // 2)
        name = f"{person.choice(given)} {person.choice(family)}{person.randrange(300)}"
        day = person.randrange(days)
        dob = f"19{70 + day % 20}-0{1 + day % 9}-1{day % 10}"
        out.append(dict(features(XrefRecord(f"r{i}", "AB"[i % 2], (name,), dob))))
    broad_keys(out)
    return out


def joined(sample: list[dict[str, Any]], rule: str) -> int:
    """How many pairs `rule` joins in `sample`, run by DuckDB as Splink runs it."""
    con = duckdb.connect()
    con.register("records", pa.Table.from_pylist(sample))
    sql = f"SELECT count(*) FROM records l JOIN records r ON {rule} AND l.unique_id < r.unique_id"
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_under_the_cap_the_blockings_are_splinks_own_rules() -> None:
    from splink import block_on

    sample = rows(300, days=2_000)
    rules = xref.em_rules(sample)
    assert [xref._rule_name(r) for r in rules] == [
        xref._rule_name(block_on(*columns)) for columns in xref.em_blockings(sample)
    ]
    assert not any(key.startswith("em_keep_") for key in sample[0])


def test_above_the_cap_whole_blocks_are_kept_and_the_pairs_fall_near_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xref, "EM_PAIRS_MAX", 2_000)
    sample = rows(1_200)
    every = Counter(r["dob"] for r in sample)
    assert sum(n * (n - 1) // 2 for n in every.values()) > 5 * 2_000  # the cap binds
    rules = xref.em_rules(sample)
    assert isinstance(rules[0], str) and "l.em_keep_0 = 1" in rules[0]
    kept_of: dict[str, set[int]] = defaultdict(set)
    for row in sample:
        kept_of[row["dob"]].add(row["em_keep_0"])
    assert all(len(kept) == 1 for kept in kept_of.values())  # kept or dropped whole
    kept = Counter(r["dob"] for r in sample if r["em_keep_0"])
    expected = sum(n * (n - 1) // 2 for n in kept.values())
    assert 0 < expected <= 3 * 2_000
    assert joined(sample, rules[0]) == expected


def test_training_on_thinned_blockings_runs_em_without_falling_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xref, "EM_PAIRS_MAX", 2_000)
    monkeypatch.setattr(xref, "U_PAIRS", 20_000)
    model = xref.train(rows(1_200))
    assert not [step for step in model["palermo_fallbacks"] if step.startswith("em")]
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    same = next(
        lv for lv in name["comparison_levels"] if lv.get("sql_condition", "").endswith(">= 0.97")
    )
    assert same["m_probability"] > 0.5  # EM learned that most matches share the name
