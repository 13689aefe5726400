"""u's sample scored at once (`xref_batch.PrimedSample`, ADR 0061): the same levels as the
exact scores, every u batch answered from it, and the same trained model as without it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import palermo.match.xref as xref
from palermo.match.xref_batch import PrimedPairs, PrimedSample, Remembered
from tests.match.test_xref_batch import assert_best_part
from tests.match.test_xref_screen import febrl_rows, level, name_thresholds, world_rows


def test_primed_sample_gives_the_exact_levels_both_ways(tmp_path: Path) -> None:
    """Every two of the sample's values, in either order, null and empty values among
    them: the level the exact name score gives, the best part as the batches give it."""
    rows, _ = world_rows(tmp_path)
    values = sorted({r["name_parts"] for r in rows if r["name_parts"]})[:160]
    primed = PrimedSample(values)
    pairs = list(itertools.permutations([*values, None, ""], 2))
    left: list[str | None] = [a for a, _ in pairs]
    right: list[str | None] = [b for _, b in pairs]
    names = primed.answer(pa.array(left), pa.array(right), "name")
    parts = primed.answer(pa.array(left), pa.array(right), "part")
    assert names is not None and parts is not None
    thresholds = name_thresholds()
    for a, b, name, part in zip(left, right, names, parts, strict=True):
        exact = xref.best_name_similarity(a, b)
        assert level(name, thresholds) == level(exact, thresholds), (a, b, name, exact)
        assert_best_part(part, a, b)
    assert sum(level(n, thresholds) < len(thresholds) for n in names) > 100


def test_a_value_outside_the_sample_is_not_answered(tmp_path: Path) -> None:
    rows, _ = world_rows(tmp_path)
    values = sorted({r["name_parts"] for r in rows if r["name_parts"]})[:20]
    primed = PrimedSample(values)
    assert primed.answer(pa.array(values[:2]), pa.array(["someone else"] * 2), "name") is None
    assert primed.answer(pa.array(values[:2]), pa.array(values[2:4]), "part") is not None


def train_with(rows: list[dict[str, Any]], primed: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if not primed:
            patch.setattr(xref, "u_sample", lambda linker, columns: None)
        return xref.train(rows)


def u_values(model: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        (c["output_column_name"], level["label_for_charts"], level.get("u_probability"))
        for c in model["comparisons"]
        for level in c["comparison_levels"]
    ]


def test_training_answers_u_from_the_sample_and_learns_the_same_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FEBRL3 (5,000 records): Splink's u sample is the one palermo scored (no u batch
    misses it), and the model equals the one trained without it, u for u."""
    rows, _ = febrl_rows()
    answered: list[bool] = []
    real = PrimedSample.answer

    def spy(
        self: PrimedSample, left: Any, right: Any, kind: str = "name"
    ) -> np.ndarray[Any, Any] | None:
        out = real(self, left, right, kind)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(PrimedSample, "answer", spy)
    primed = train_with(rows, True, monkeypatch)
    assert len(answered) > 100 and all(answered)
    plain = train_with(rows, False, monkeypatch)
    assert u_values(primed) == u_values(plain)
    assert primed["probability_two_random_records_match"] == pytest.approx(
        plain["probability_two_random_records_match"], rel=1e-12
    )


@pytest.mark.parametrize(
    ("column", "function", "pair"),
    [
        ("addresses", xref._ADDRESS_BATCHES, xref.address_similarity),
        ("documents", xref._DOCUMENT_BATCHES, xref.document_similarity),
    ],
)
def test_primed_pairs_give_the_pair_functions_scores_both_ways(
    tmp_path: Path, column: str, function: Any, pair: Any
) -> None:
    rows, _ = world_rows(tmp_path, persons=700)
    values = sorted({r[column] for r in rows if r[column]})[:150]
    assert len(values) > 30
    primed = PrimedPairs(values, function.batch)
    pairs = list(itertools.product([*values, None, ""], repeat=2))
    left: list[str | None] = [a for a, _ in pairs]
    right: list[str | None] = [b for _, b in pairs]
    scores = primed.answer(pa.array(left), pa.array(right))
    assert scores is not None
    assert scores.tolist() == [pair(a, b) for a, b in pairs]
    assert primed.answer(pa.array(values[:1]), pa.array(["elsewhere 1"])) is None


def test_training_on_rich_records_learns_the_same_model_primed_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The world's records (addresses, documents, several scripts): every u batch of the
    address and document functions is answered from their primed pairs, and the model
    equals the one trained without priming."""
    rows, _ = world_rows(tmp_path, persons=1300)
    assert len(rows) >= xref.TRAIN_MIN
    answered: list[bool] = []
    real = PrimedPairs.answer

    def spy(
        self: PrimedPairs, left: Any, right: Any, kind: str = "score"
    ) -> np.ndarray[Any, Any] | None:
        out = real(self, left, right, kind)
        answered.append(out is not None)
        return out

    scored_while_primed: list[int] = []
    score = Remembered._score

    def scored(self: Remembered, left: Any, right: Any) -> np.ndarray[Any, Any]:
        if self.primed:  # a u batch the primed pairs did not answer
            scored_while_primed.append(len(left))
        return score(self, left, right)

    monkeypatch.setattr(PrimedPairs, "answer", spy)
    monkeypatch.setattr(Remembered, "_score", scored)
    primed = train_with(rows, True, monkeypatch)
    assert answered.count(True) > 50 and not scored_while_primed
    plain = train_with(rows, False, monkeypatch)
    assert u_values(primed) == u_values(plain)
