"""The candidate pairs scored before Splink asks (`xref_primed`, ADR 0062): the same
comparison vectors as batch by batch, every batch answered, lookups that refuse what they
do not know."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import palermo.match.xref as xref
import palermo.match.xref_batch as xref_batch
import palermo.match.xref_blocked as xref_blocked
from palermo.match.xref_batch import NameFunctions, Remembered
from palermo.match.xref_primed import PrimedPairList
from tests.match.test_xref_batch import assert_best_part
from tests.match.test_xref_screen import level, name_thresholds, world_rows


def vectors(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Every candidate pair's ids and comparison levels, sorted."""
    prepared = [dict(r) for r in rows]
    xref.broad_keys(prepared)
    model = xref.settings()
    linker = xref._linker(pa.Table.from_pylist(prepared), model, xref.DuckDB())
    table = xref.candidate_vectors(linker)
    con = linker._db_api._con
    columns = [r[0] for r in con.execute(f"DESCRIBE {table.physical_name}").fetchall()]
    kept = [c for c in columns if c.startswith("gamma_") or c.startswith("unique_id")]
    selected = ", ".join(kept)
    return sorted(con.execute(f"SELECT {selected} FROM {table.physical_name}").fetchall())


def missed_name_batches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kinds of the name batches scored one by one while primed answers were held
    (filled as they come)."""
    missed: list[str] = []
    batch = NameFunctions._batch

    def name_batch(self: NameFunctions, left: Any, right: Any, kind: str) -> Any:
        if any(isinstance(p, PrimedPairList) for p in self.primed):
            missed.append(kind)
        return batch(self, left, right, kind)

    monkeypatch.setattr(NameFunctions, "_batch", name_batch)
    return missed


def test_primed_candidates_give_the_batches_vectors_and_answer_every_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The world's records (names in several scripts, addresses, documents): the candidate
    vectors equal those scored batch by batch, and no batch was scored while primed."""
    rows, _ = world_rows(tmp_path, persons=900)
    missed = missed_name_batches(monkeypatch)
    score = Remembered._score

    def other(self: Remembered, left: Any, right: Any) -> Any:
        if any(isinstance(p, PrimedPairList) for p in self.primed):
            missed.append("score")
        return score(self, left, right)

    monkeypatch.setattr(Remembered, "_score", other)
    primed = vectors(rows)
    assert not missed
    assert all(not f.primed for f in xref.PRIMED_COLUMNS_OF)  # dropped after use
    with monkeypatch.context() as patch:
        patch.setattr(xref, "_CANDIDATE_SCORERS", {})
        plain = vectors(rows)
    assert len(primed) > 1000 and primed == plain
    # the pairs differ in their names' levels: the comparison is not trivially equal
    assert len({row[2] for row in primed}) >= 3


def test_a_primed_list_answers_its_pairs_in_order_and_nothing_else() -> None:
    values = [f"value {k}" for k in range(40)]
    rng = random.Random(3)
    pairs = [(rng.choice(values), rng.choice(values)) for _ in range(300)]

    def scorer_ids(names: list[str], rows_l: Any, rows_r: Any) -> dict[str, Any]:
        digits = [
            int(names[a].split()[1]) * 1000 + int(names[b].split()[1])
            for a, b in zip(rows_l, rows_r, strict=True)
        ]
        return {"score": np.array(digits, dtype=np.float64)}

    primed = PrimedPairList(
        pa.array([a for a, _ in pairs] + [None, ""]),
        pa.array([b for _, b in pairs] + ["value 1", "value 2"]),
        scorer_ids,
    )
    # a batch of the known pairs in another order, with nulls and empty values: their scores
    batch = [*reversed(pairs[:50]), (None, "value 3"), ("", "value 4")]
    answered = primed.answer(pa.array([a for a, _ in batch]), pa.array([b for _, b in batch]))
    assert answered is not None
    expected = [int(a.split()[1]) * 1000 + int(b.split()[1]) for a, b in batch[:50]]
    assert answered.tolist() == [*expected, 0.0, 0.0]
    unknown = next((a, b) for a in values for b in values if (a, b) not in set(pairs))
    assert (
        primed.answer(pa.array([pairs[0][0], unknown[0]]), pa.array([pairs[0][1], unknown[1]]))
        is None
    )
    assert primed.answer(pa.array(["elsewhere"]), pa.array([pairs[0][1]])) is None
    assert primed.answer(pa.array([pairs[0][0]]), pa.array([pairs[0][1]]), "name") is None


def test_name_scores_in_chunks_equal_one_call_and_the_exact_levels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`NameFunctions.score_pairs` in many small `blocked_scores` calls gives what one call
    gives; with pairs too big for a call (pair by pair) and in one call alike, the name
    score has the exact score's level and the best part is as the batches give it."""
    rows, _ = world_rows(tmp_path)
    values = sorted({r["name_parts"] for r in rows if r["name_parts"]})[:120]
    rng = np.random.default_rng(5)
    rows_l = rng.integers(0, len(values), 2000)
    rows_r = rng.integers(0, len(values), 2000)
    function = xref._NAME_BATCHES
    whole = function.score_pairs(values, rows_l, rows_r)
    monkeypatch.setattr(xref_batch, "PRIMED_CELLS_MAX", 50)
    chunked = function.score_pairs(values, rows_l, rows_r)
    assert whole["name"].tolist() == chunked["name"].tolist()
    assert whole["part"].tolist() == chunked["part"].tolist()
    monkeypatch.setattr(xref_blocked, "CELLS_MAX", 7)
    one_by_one = function.score_pairs(values, rows_l, rows_r)
    thresholds = name_thresholds()
    for scores in (whole, one_by_one):
        for a, b, name, part in zip(
            rows_l[:400], rows_r[:400], scores["name"], scores["part"], strict=False
        ):
            exact = xref.best_name_similarity(values[a], values[b])
            assert level(name, thresholds) == level(exact, thresholds)
            assert_best_part(part, values[a], values[b])
    assert len({level(v, thresholds) for v in whole["name"]}) >= 3


def test_training_primes_its_pairs_aside_and_learns_the_same_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EM's and the candidates' pairs scored on another thread while u is counted: the
    prediction (model and links) equals the one scored batch by batch, EM's and the
    candidates' batches were all answered, and the thread's answers are dropped after."""
    rows, _ = world_rows(tmp_path, persons=1300)
    assert len(rows) >= xref.TRAIN_MIN
    threads: list[str] = []
    real = xref.training_pairs

    def spied(linker: Any, em: Any) -> xref.TrainingPairs:
        pairs = real(linker, em)
        assert pairs.scoring is not None and pairs.candidates is not None
        pairs.scoring.add_done_callback(lambda _: threads.append(threading.current_thread().name))
        return pairs

    missed = missed_name_batches(monkeypatch)
    monkeypatch.setattr(xref, "training_pairs", spied)
    primed_model, _ = xref._train(rows)
    primed_links = xref.predict(rows, threshold=0.5)
    assert threads and not missed
    assert all(not f.primed for f in xref.PRIMED_COLUMNS_OF)
    monkeypatch.setattr(xref, "training_pairs", lambda linker, em: xref.TrainingPairs())
    monkeypatch.setattr(xref, "_CANDIDATE_SCORERS", {})
    plain_model, _ = xref._train(rows)
    plain_links = xref.predict(rows, threshold=0.5)
    assert {k: v for k, v in primed_model.items() if k != "linker_uid"} == {
        k: v for k, v in plain_model.items() if k != "linker_uid"
    }
    assert len(primed_links) > 100
    assert {(lk.left, lk.right, lk.probability) for lk in primed_links} == {
        (lk.left, lk.right, lk.probability) for lk in plain_links
    }


def test_a_sampled_training_predicts_primed_with_the_same_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More records than training samples (`TRAIN_MAX`): the final prediction scores the
    candidate pairs at once (`_predicted`, ADR 0063), its batches all answered from the
    primed lists, and its links (pairs, probabilities, weights) equal those of Splink's
    own `predict`, which calls the functions batch by batch."""
    rows, _ = world_rows(tmp_path, persons=1300)
    monkeypatch.setattr(xref, "TRAIN_MAX", len(rows) // 2)
    calls: list[str] = []
    real = xref.candidate_vectors

    def spied(linker: Any, prime: bool = True, blocked: Any = None) -> Any:
        calls.append("primed" if prime else "plain")
        return real(linker, prime, blocked)

    missed = missed_name_batches(monkeypatch)
    monkeypatch.setattr(xref, "candidate_vectors", spied)
    primed = xref.predict(rows, threshold=0.5)
    assert calls[-1] == "primed" and not missed  # training's pairs, then the final ones
    training = calls[:-1]
    assert all(not f.primed for f in xref.PRIMED_COLUMNS_OF)
    calls.clear()
    monkeypatch.setattr(xref, "PRIME_PREDICT", False)
    plain = xref.predict(rows, threshold=0.5)
    assert calls == training  # the final prediction was Splink's own
    assert len(primed) > 100
    assert sorted(
        (lk.left, lk.right, lk.probability, sorted(lk.weights.items())) for lk in primed
    ) == sorted((lk.left, lk.right, lk.probability, sorted(lk.weights.items())) for lk in plain)


def pid_scores(values: list[str], rows_l: Any, rows_r: Any) -> dict[str, Any]:
    """A scorer that tells which process scored each pair (module level: picklable)."""
    import os

    return {"pid": np.full(len(rows_l), os.getpid()), "sum": (rows_l + rows_r).astype(float)}


def test_many_name_pairs_are_scored_in_two_processes_with_the_same_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From `NAME_PAIRS_SPLIT` pairs on, every other pair is scored in a spawned process
    while this one scores the rest (ADR 0063): the scores are the one process's, in order."""
    import os

    from palermo.match.xref_primed import in_two_processes

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: scored in this process")
    rows_l = np.arange(10, dtype=np.int64)
    rows_r = np.arange(10, 20, dtype=np.int64)
    split = in_two_processes(pid_scores, [], rows_l, rows_r, minimum=4)
    assert split["sum"].tolist() == (rows_l + rows_r).astype(float).tolist()
    assert set(split["pid"][0::2].tolist()) == {os.getpid()}  # every other pair here
    assert os.getpid() not in set(split["pid"][1::2].tolist())
    assert set(in_two_processes(pid_scores, [], rows_l, rows_r, 11)["pid"]) == {os.getpid()}
    rows, _ = world_rows(tmp_path)
    values = sorted({r["name_parts"] for r in rows if r["name_parts"]})[:150]
    rng = np.random.default_rng(9)
    left = rng.integers(0, len(values), 3000)
    right = rng.integers(0, len(values), 3000)
    whole = xref.name_pairs(values, left, right)
    monkeypatch.setattr(xref, "NAME_PAIRS_SPLIT", 100)
    halves = xref._name_pairs_split(values, left, right)
    assert whole["name"].tolist() == halves["name"].tolist()
    assert whole["part"].tolist() == halves["part"].tolist()
