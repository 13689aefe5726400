"""The candidate pairs' vectors computed once for the prior's calibration and the
prediction (issue 22, ADR 0044)."""

from __future__ import annotations

import random
from typing import Any

import pyarrow as pa
import pytest

import palermo.match.xref as xref
from palermo.match.xref import XrefRecord, broad_keys, features


def records(n: int) -> list[XrefRecord]:
    rng = random.Random(11)
    given = ("Anna", "Ivan", "Olga", "Chen", "Ada", "Juan", "Maria", "Emeka")
    family = ("Berg", "Petrov", "Sidorova", "Wei", "Obi", "Perez", "Lopez", "Okoro")
    out = []
    for i in range(n):
        person = i // 2 if i % 3 else i  # two records of some persons
        prng = random.Random(person)
        name = f"{prng.choice(given)} {prng.choice(family)}{prng.randrange(30)}"
        dob = f"19{prng.randrange(50, 99)}-0{prng.randrange(1, 9)}-1{prng.randrange(9)}"
        out.append(XrefRecord(f"r{i}", "AB"[i % 2], (name,), dob if rng.random() < 0.8 else None))
    return out


@pytest.mark.parametrize("train_min", [2, 1000])  # EM and unmixing, or the prior alone
def test_the_prediction_reuses_the_calibrations_vectors_and_scores_as_splink(
    monkeypatch: pytest.MonkeyPatch, train_min: int
) -> None:
    """The final prediction weighs the calibration's vectors (no second computation of
    the candidate pairs) and gives exactly what Splink's own `predict` gives."""
    from splink.internals.linker_components.inference import LinkerInference

    monkeypatch.setattr(xref, "TRAIN_MIN", train_min)
    monkeypatch.setattr(xref, "U_PAIRS", 3_000)
    rows = [features(r) for r in records(240)]
    made: list[Any] = []
    real = xref.candidate_vectors

    def counted(linker: Any) -> Any:
        made.append(linker)
        return real(linker)

    monkeypatch.setattr(xref, "candidate_vectors", counted)
    splink_predict = LinkerInference.predict
    monkeypatch.setattr(LinkerInference, "predict", None)  # xref may not call it
    ours = xref.predict(rows, threshold=0.3)
    assert len(made) == 1

    monkeypatch.setattr(LinkerInference, "predict", splink_predict)
    trained = xref.train(rows)
    prepared = [dict(r) for r in rows]
    broad_keys(prepared)
    linker = xref._linker(pa.Table.from_pylist(prepared), trained, xref.DuckDB())
    frame = linker.inference.predict(threshold_match_probability=0.3)
    theirs = {
        (str(r["unique_id_l"]), str(r["unique_id_r"])): float(r["match_probability"])
        for r in frame.as_record_list()
    }
    assert ours and {(lk.left, lk.right): lk.probability for lk in ours} == theirs
