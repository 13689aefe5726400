"""Training cannot crash: degenerate inputs resolve with sensible links, on the priors and
with EM forced onto them (TRAIN_MIN lowered), and a failed step is undone, not raised."""

from __future__ import annotations

from typing import Any

import pytest

import palermo.match.xref as xref
from palermo.match.xref import PROBABILITY_FLOOR, XrefRecord, clamped, features, resolve, train

NOT_OBSERVED = "level not observed in training dataset"  # Splink's marker for such a level
NAMES = ("Ivan Petrov", "Olga Sidorova", "Chen Wei", "Ada Obi", "Juan Perez")


def identical(n: int) -> list[XrefRecord]:
    return [
        XrefRecord(f"r{i}", "A", ("Anna Berg",), "1970-05-05", "de", "female") for i in range(n)
    ]


def pairs_of_namesakes() -> list[XrefRecord]:
    """Five women called Maria Lopez, born years apart, two records each."""
    return [
        XrefRecord(f"p{i}-{j}", "AB"[j], ("Maria Lopez",), f"19{50 + 7 * i}-0{1 + i}-1{i}", "es",
                   "female")
        for i in range(5)
        for j in range(2)
    ]


def undated_with_documents() -> list[XrefRecord]:
    return [
        XrefRecord(f"n{i}-{j}", "AB"[j], (NAMES[i],), None, None, None, f"DOC{i}2345{i}")
        for i in range(5)
        for j in range(2)
    ]


def one_agency() -> list[XrefRecord]:
    dates = ("1980-01-02", "1975-06-30", "1990-12-01", "1968-03-03", "2001-07-07")
    return [
        XrefRecord(f"x{i}-{j}", "DE-BKA", (NAMES[i] if j else NAMES[i].upper(),), dates[i])
        for i in range(5)
        for j in range(2)
    ]


# (records, the expected identities as sorted lists of ids)
CASES = {
    "no records": ([], []),
    "one record": (identical(1), [["r0"]]),
    "two records": (
        [XrefRecord("a", "A", ("Ivan Petrov",), "1980-01-02"),
         XrefRecord("b", "B", ("PETROV Ivan",), "1980-01-02")],
        [["a", "b"]],
    ),
    "ten identical records": (identical(10), [[f"r{i}" for i in range(10)]]),
    "all names equal": (pairs_of_namesakes(), [[f"p{i}-0", f"p{i}-1"] for i in range(5)]),
    "no dates": (undated_with_documents(), [[f"n{i}-0", f"n{i}-1"] for i in range(5)]),
    "one agency": (one_agency(), [[f"x{i}-0", f"x{i}-1"] for i in range(5)]),
}


@pytest.fixture(params=["priors", "em forced"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "em forced":  # EM, u sampling and prior estimation on tiny data
        monkeypatch.setattr(xref, "TRAIN_MIN", 2)
    return str(request.param)


@pytest.mark.parametrize("case", list(CASES))
def test_degenerate_inputs_resolve_to_the_right_identities(mode: str, case: str) -> None:
    records, expected = CASES[case]
    result = resolve(records)
    assert sorted(result.clusters) == sorted(expected), (mode, case)


def test_a_failing_training_step_is_undone_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xref, "TRAIN_MIN", 2)
    # Every record alike: the deterministic rules find more matches than their recall
    # allows and Splink raises; no birth dates: the EM round blocked on them has no pairs.
    rows = [features(r) for r in identical(6)]
    model = train(rows)
    assert any(step.startswith("prior:") for step in model["palermo_fallbacks"])
    undated = train([features(r) for r in undated_with_documents()])
    assert any("em" in step and "dob" in step for step in undated["palermo_fallbacks"])
    for m in (model, undated):
        for comparison in m["comparisons"]:
            for level in comparison["comparison_levels"]:
                for key in ("m_probability", "u_probability"):
                    value = level.get(key)
                    if isinstance(value, float):
                        assert PROBABILITY_FLOOR <= value <= 1 - PROBABILITY_FLOOR


def test_clamped_lifts_zero_and_nan_and_keeps_the_sum() -> None:
    model: dict[str, Any] = {
        "probability_two_random_records_match": 0.0,
        "comparisons": [
            {
                "comparison_levels": [
                    {"is_null_level": True},
                    {"m_probability": 0.0, "u_probability": 0.5},
                    {"m_probability": float("nan"), "u_probability": 0.5},
                    {"m_probability": 1.0, "u_probability": NOT_OBSERVED},
                ]
            }
        ],
    }
    levels = clamped(model)["comparisons"][0]["comparison_levels"][1:]
    ms = [lv["m_probability"] for lv in levels]
    assert all(m >= PROBABILITY_FLOOR / 2 for m in ms)
    assert sum(ms) == pytest.approx(1.0)
    assert levels[2]["u_probability"] == NOT_OBSERVED
    assert model["probability_two_random_records_match"] > 0
