"""The rules that pair a whole name (or skeleton) with one side undated are capped: a name
held by more than UNDATED_BLOCK_MAX records does not block on them (ADR 0059), in batch
and for an arriving record alike."""

from __future__ import annotations

from typing import Any

import pytest

from palermo.match.incremental import Candidates, Resolver
from palermo.match.pair_scorer import compile_rule
from palermo.match.xref import (
    RARE,
    TIGHT_SQL,
    UNDATED,
    UNDATED_BLOCK_MAX,
    XrefRecord,
    broad_keys,
    features,
    rare_keys,
    settings,
)
from tests.match.test_xref_blocking import _linker_of, blocked_pairs

UNDATED_RULES = [rule for rule in TIGHT_SQL if UNDATED in rule]
# the rules of a model saved before ADR 0059: the same conditions on the uncapped columns
UNCAPPED_RULES = [
    rule.replace("rare_each_", "name_each_").replace("rare_skel", "name_skel")
    for rule in UNDATED_RULES
]


def holders(name: str, prefix: str, n: int, undated_every: int = 2) -> list[XrefRecord]:
    """`n` records of one name: every `undated_every`-th has no birth date, the others
    each their own (year, month and day all differ, so no date rule pairs them)."""
    return [
        XrefRecord(
            f"{prefix}{i:03d}",
            "A",
            (name,),
            None if i % undated_every == 0 else f"{1930 + i}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        )
        for i in range(n)
    ]


def rows_of(records: list[XrefRecord]) -> list[dict[str, Any]]:
    rows = [dict(features(r)) for r in records]
    broad_keys(rows)
    return rows


def pairs_by(rules: list[str], rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The pairs (smaller id first, as Splink's dedupe) any of `rules` finds in `rows`."""
    tests = [compile_rule(rule) for rule in rules]
    out = set()
    for i, left in enumerate(rows):
        for right in rows[i + 1 :]:
            lt, rt = sorted((left, right), key=lambda r: str(r["unique_id"]))
            if any(test(lt, rt) for test in tests):
                out.add((str(lt["unique_id"]), str(rt["unique_id"])))
    return out


COMMON = holders("Anna Petrova", "c", 3 * UNDATED_BLOCK_MAX)
RARE_PAIR = [
    XrefRecord("r0", "A", ("Boris Ivanov",)),
    XrefRecord("r1", "B", ("IVANOV Boris",), "1977-07-07"),
]


def test_a_common_name_held_by_many_undated_records_gives_no_undated_pairs() -> None:
    rows = rows_of(COMMON + RARE_PAIR)
    capped = pairs_by(UNDATED_RULES, rows)
    uncapped = pairs_by(UNCAPPED_RULES, rows)
    # 30 undated holders with each of the 60: 30 x 30 + 30 x 29 / 2 pairs, and the rare pair
    assert len(uncapped) == 30 * 30 + 30 * 29 // 2 + 1
    assert capped == {("r0", "r1")}
    # the holders' plain columns stay (a saved model's rules read them)
    assert all(r["name_each_0"] == "ana petrova" for r in rows[: len(COMMON)])
    assert all(r["rare_each_0"] is None and r["rare_skel"] is None for r in rows[: len(COMMON)])


def test_the_undated_pairs_stay_linear_in_the_records() -> None:
    """However many hold a name, each record gets at most UNDATED_BLOCK_MAX - 1 partners
    from each undated rule."""
    for size in (UNDATED_BLOCK_MAX, 2 * UNDATED_BLOCK_MAX, 5 * UNDATED_BLOCK_MAX):
        rows = rows_of(holders("Anna Petrova", "c", size, undated_every=1))
        for rule in UNDATED_RULES:
            assert len(pairs_by([rule], rows)) <= size * (UNDATED_BLOCK_MAX - 1) / 2


def test_a_name_is_capped_past_the_limit_counted_over_both_name_slots() -> None:
    at = [
        {"name_each_0": "ana pop", "name_each_1": None, "name_skel": "n pp"}
        for _ in range(UNDATED_BLOCK_MAX - 1)
    ]
    # the last holder has the name second: still one of its holders
    at.append({"name_each_0": "ion pop", "name_each_1": "ana pop", "name_skel": "n pp"})
    rare_keys(at)
    assert all(r["rare_each_0"] == "ana pop" for r in at[:-1])
    assert at[-1]["rare_each_1"] == "ana pop" and at[-1]["rare_each_0"] == "ion pop"
    over = [*at, {"name_each_0": "ana pop", "name_each_1": None, "name_skel": None}]
    rare_keys(over)
    assert all(r["rare_each_0"] is None for r in over[:-2])
    assert over[-2]["rare_each_1"] is None and over[-2]["rare_each_0"] == "ion pop"
    assert all(r["rare_skel"] == "n pp" for r in over[:-1])  # UNDATED_BLOCK_MAX of them


def test_a_saved_model_on_the_uncapped_columns_still_blocks_on_them() -> None:
    records = COMMON[:4] + RARE_PAIR  # c000 undated, c001 dated: a pair of the old rule
    rows = [dict(features(r)) for r in records]
    model = settings().get_settings("duckdb").as_dict()
    new_rules = model["blocking_rules_to_generate_predictions"]
    assert not any("name_each_0 = r.name_each_0 AND (l.dob" in r["blocking_rule"]
                   for r in new_rules)  # fmt: skip
    assert ("c000", "c001") in blocked_pairs(rows)  # four holders: under the cap
    model["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in UNCAPPED_RULES
    ]
    many = [dict(features(r)) for r in COMMON]
    assert ("c000", "c001") in blocked_pairs(many, model)
    assert ("c000", "c001") not in blocked_pairs(many)


def arrival_cases() -> list[tuple[str, list[XrefRecord], XrefRecord, str, bool]]:
    """(case, batch, arrival, a dated namesake, whether the undated rules pair the two)."""
    name = "Clara Novak"
    under = holders(name, "c", UNDATED_BLOCK_MAX - 1)  # the arrival makes the limit
    at = holders(name, "c", UNDATED_BLOCK_MAX)  # the arrival goes past it
    far = holders(name, "c", 3 * UNDATED_BLOCK_MAX)
    new = XrefRecord("new", "B", ("NOVAK Clara",))
    return [
        ("rare", RARE_PAIR[1:] + COMMON, RARE_PAIR[0], "r1", True),
        ("at the limit", under, new, "c001", True),
        ("one past the limit", at, new, "c001", False),
        ("common", far, new, "c001", False),
    ]


@pytest.mark.parametrize(("case", "batch", "new", "partner", "paired"), arrival_cases())
def test_an_arrival_gets_the_undated_candidates_a_batch_over_all_records_gives(
    case: str, batch: list[XrefRecord], new: XrefRecord, partner: str, paired: bool
) -> None:
    """The arrival's candidates that the undated rules accept (on its row and each
    candidate's, as `Resolver._add` scores them) are those the same rules give the
    arrival in one batch over the existing records and it."""
    rows = rows_of(batch)
    candidates = Candidates(Resolver.scorer_rules({}, _linker_of(rows)), rows)
    row = dict(features(new))
    row.update(candidates.broad_values(row))
    row.update(candidates.rare_values(row))
    by_id = {str(r["unique_id"]): r for r in rows}
    found = [candidates.aligned(by_id[rid], row) for rid in candidates.find(row)]
    incremental = {p for p in pairs_by(UNDATED_RULES, [row, *found]) if new.id in p}
    together = {p for p in pairs_by(UNDATED_RULES, rows_of([*batch, new])) if new.id in p}
    assert incremental == together, case
    assert (tuple(sorted((new.id, partner))) in together) is paired, case


def test_an_arrival_past_the_limit_keeps_its_other_candidates() -> None:
    """The cap drops only the undated rules' pairs: a shared document still makes the
    arrival a candidate of a holder of a common name."""
    batch = holders("Clara Novak", "c", 3 * UNDATED_BLOCK_MAX)
    batch[1] = XrefRecord("c001", "A", ("Clara Novak",), "1931-02-02", document="X1234567")
    rows = rows_of(batch)
    candidates = Candidates(Resolver.scorer_rules({}, _linker_of(rows)), rows)
    new = XrefRecord("new", "B", ("NOVAK Clara",), document="X1234567")
    assert "c001" in candidates.find(dict(features(new)))
    assert candidates.rare_values(dict(features(new)))["rare_each_0"] is None


def test_arrivals_under_an_uncapped_saved_model_still_find_every_holder() -> None:
    """A model saved before ADR 0059 blocks on the plain columns: an arrival is still
    paired with each holder of its name, as that model's batch pairs them."""
    batch = holders("Clara Novak", "c", 3 * UNDATED_BLOCK_MAX)
    rows = rows_of(batch)
    rules = [
        r for r in Resolver.scorer_rules({}, _linker_of(rows)) if not any(c in r for c in RARE)
    ] + UNCAPPED_RULES
    candidates = Candidates(rules, rows)
    new = dict(features(XrefRecord("new", "B", ("NOVAK Clara",))))
    assert candidates.rare_values(new) == {}
    assert {r.id for r in batch} <= set(candidates.find(new))


def test_a_resolver_scores_an_arrival_with_its_namesake_only_while_the_name_is_rare() -> None:
    """End to end through `Resolver.add`: the arrival that brings a name to the limit is
    scored against its dated namesake (a blocking rule finds the pair); a second undated
    arrival of the name, one past the limit, is not."""
    resolver = Resolver.build(holders("Clara Novak", "c", UNDATED_BLOCK_MAX - 1))
    first = resolver.add(XrefRecord("new1", "B", ("NOVAK Clara",)))
    second = resolver.add(XrefRecord("new2", "B", ("Clara NOVAK",)))
    row1, row2, c001 = (resolver.rows[rid] for rid in ("new1", "new2", "c001"))
    assert row1["rare_each_0"] == c001["name_each_0"]
    assert row2["rare_each_0"] is None
    scored = resolver.scorer.score  # every pair a blocking rule finds, whatever its score
    assert scored(row1, [resolver.candidates.aligned(c001, row1)])
    assert not scored(row2, [resolver.candidates.aligned(c001, row2)])
    assert not any("c001" in (link.left, link.right) for link in second.links)
    assert first.record == "new1"
