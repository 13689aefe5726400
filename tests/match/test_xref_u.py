"""u with the likely matches left out of the random sample (issue 22, ADR 0044), and the
candidate pairs' vectors computed once for the prior's calibration and the prediction."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import palermo.match.xref as xref
from palermo.match.xref import XrefRecord, broad_keys, features
from palermo.match.xref_u import MAX_DROP, RandomPairs, without_matches

NULL, ELSE, SAME = -1, 0, 1


def model() -> dict[str, Any]:
    """The m of `sample`'s pairs: matches share the name 90% of times, the birth date
    always (where both have one)."""

    def comparison(name: str, m_same: float) -> dict[str, Any]:
        return {
            "output_column_name": name,
            "comparison_levels": [
                {"is_null_level": True},
                {"m_probability": m_same, "u_probability": 0.5},
                {"m_probability": 1 - m_same, "u_probability": 0.5},
            ],
        }

    return {"comparisons": [comparison("name", 0.9), comparison("dob", 0.999)]}


def sample(non_matches: int, matches: int, name_rate: float, seed: int) -> RandomPairs:
    """Random pairs: non-matches share a name at `name_rate` and a birth date at 1%,
    independently; every match shares both. A tenth of all pairs lack the birth date."""
    rng = np.random.default_rng(seed)
    name = np.concatenate(
        [(rng.random(non_matches) < name_rate).astype(np.int64), np.ones(matches, np.int64)]
    )
    dob = np.concatenate(
        [(rng.random(non_matches) < 0.01).astype(np.int64), np.ones(matches, np.int64)]
    )
    dob[rng.random(len(dob)) < 0.1] = NULL
    levels = (NULL, SAME, ELSE)
    return RandomPairs({"name": name, "dob": dob}, {"name": levels, "dob": levels}, len(name))


def measured(pairs: RandomPairs, name: str) -> dict[str, Any]:
    """The model with u as the sample measures it (matches included), as Splink's
    random sampling sets it."""
    out = model()
    for comparison in out["comparisons"]:
        gamma = pairs.gammas[comparison["output_column_name"]]
        shown = gamma[gamma >= 0]
        same = float(np.mean(shown == SAME))
        comparison["comparison_levels"][1]["u_probability"] = same
        comparison["comparison_levels"][2]["u_probability"] = 1 - same
    return out


def u_same(trained: dict[str, Any], name: str) -> float:
    level = next(c for c in trained["comparisons"] if c["output_column_name"] == name)
    return float(level["comparison_levels"][1]["u_probability"])


def test_pairs_that_are_likely_matches_leave_the_count() -> None:
    # 1,000 matches among 50,000 random pairs: measured, "same name" holds for 2.1% of
    # pairs, ten times its rate among non-matches (0.2%)
    pairs = sample(50_000, 1_000, 0.002, seed=1)
    trained = measured(pairs, "name")
    assert u_same(trained, "name") > 0.015
    left = without_matches(trained, pairs, prior=1_000 / 51_000)
    assert left == set()
    assert 0.0015 < u_same(trained, "name") < 0.0025
    assert 0.008 < u_same(trained, "dob") < 0.012


def test_the_estimate_is_near_the_rate_among_non_matches_on_every_sample() -> None:
    """With m and the prior right, the rare level's u from 20,000 pairs (400 of them
    matches, which share the name ten times as often as the sample's non-matches do)
    stays near the rate among non-matches, sample after sample."""
    truth, prior = 0.002, 400 / 20_400
    for seed in range(8):
        pairs = sample(20_000, 400, truth, seed=seed)
        pairs.gammas["name"][20_000:] = np.where(  # a match shares the name 90% of times
            np.random.default_rng(seed).random(400) < 0.9, SAME, ELSE
        )
        trained = measured(pairs, "name")
        assert u_same(trained, "name") > 5 * truth  # what the sample shows, matches included
        without_matches(trained, pairs, prior)
        assert abs(u_same(trained, "name") - truth) < 0.3 * truth, seed


def test_u_never_drops_below_a_tenth_of_what_was_measured() -> None:
    pairs = sample(5_000, 1_000, 0.0, seed=3)  # no non-match shares a name
    trained = measured(pairs, "name")
    before = u_same(trained, "name")
    without_matches(trained, pairs, prior=1_000 / 6_000)
    assert u_same(trained, "name") >= before * MAX_DROP * (1 - 1e-9)


def test_a_sample_of_a_few_records_is_left_to_the_caller() -> None:
    pairs = sample(40, 5, 1.0, seed=4)  # ten namesakes: 45 pairs, too few to say
    trained = measured(pairs, "name")
    before = u_same(trained, "name")
    assert without_matches(trained, pairs, prior=5 / 45) == {"name", "dob"}
    assert u_same(trained, "name") == before


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


def test_with_the_switch_on_the_sample_is_splinks(monkeypatch: pytest.MonkeyPatch) -> None:
    """`U_LEAVE_OUT_MATCHES` draws the sample itself: it must pick the same pairs as
    Splink (the measured u of a level is Splink's where Splink counts the whole sample),
    and training with it runs every step."""
    monkeypatch.setattr(xref, "TRAIN_MIN", 2)
    monkeypatch.setattr(xref, "U_PAIRS", 3_000)
    rows = [features(r) for r in records(240)]
    monkeypatch.setattr(xref, "U_LEAVE_OUT_MATCHES", True)
    assert xref.train(rows)["palermo_fallbacks"] == []

    def measured_u(linker: Any) -> dict[str, list[Any]]:
        saved = linker.misc.save_model_to_json()
        return {
            c["output_column_name"]: [
                lv.get("u_probability") if isinstance(lv.get("u_probability"), float) else None
                for lv in c["comparison_levels"]
            ]
            for c in saved["comparisons"]
        }

    table = pa.Table.from_pylist([dict(r) for r in rows])
    ours = xref._linker(table, xref.settings(), xref.DuckDB())
    xref._estimate_u(ours, "dedupe_only", xref.DuckDB(), [])
    splinks = xref._linker(table, xref.settings(), xref.DuckDB())
    splinks.training.estimate_u_using_random_sampling(max_pairs=3_000, seed=None)
    # the name comparison has levels too rare for Splink's 1% probe: it counts every pair
    mine, theirs = measured_u(ours)["name"], measured_u(splinks)["name"]
    assert [u is None for u in mine] == [u is None for u in theirs]
    assert any(u is not None for u in mine)
    for a, b in zip(mine, theirs, strict=True):
        assert a is None or a == pytest.approx(b, rel=1e-12)
