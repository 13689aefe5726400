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

    def counted(linker: Any, *args: Any) -> Any:
        made.append(linker)
        return real(linker, *args)

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
    their_weights = {
        (str(r["unique_id_l"]), str(r["unique_id_r"])): {
            k[3:]: float(v) for k, v in r.items() if k.startswith("mw_") and v is not None
        }
        for r in frame.as_record_list()
    }
    assert {(lk.left, lk.right): lk.weights for lk in ours} == their_weights


def test_the_vectors_keep_levels_and_ids_not_the_compared_values() -> None:
    """Both records' compared values (names, addresses, keys) stay out of the candidate
    vectors and their scores: at 100,000 records those copies held gigabytes (ADR 0054)."""
    rows = [dict(features(r)) for r in records(240)]
    broad_keys(rows)
    linker = xref._linker(pa.Table.from_pylist(rows), xref.train(rows), xref.DuckDB())
    vectors = xref.candidate_vectors(linker)
    api = linker._db_api
    columns = {c.unquote().name for c in vectors.columns}
    assert {"unique_id_l", "unique_id_r", "gamma_name"} <= columns
    assert not {c for c in columns if c.endswith(("_l", "_r"))} - {
        "unique_id_l",
        "unique_id_r",
        *(c for c in columns if c.startswith("tf_")),
    }
    scored = xref.score(linker, vectors, threshold_match_weight=-30)
    scored_columns = {c.unquote().name for c in scored.columns}
    assert "match_probability" in scored_columns and "mw_name" in scored_columns
    assert "name_parts" in rows[0] and "name_parts_l" not in scored_columns
    pairs = api._con.execute(f"SELECT count(*) FROM {scored.physical_name}").fetchone()[0]
    assert pairs > 0
