"""The model compiled to Python (`match.pair_scorer`) scores every pair as Splink's own
SQL does (`incremental.Scorer`): the same probability, the same match weight per
comparison (term-frequency adjustments included), the same pairs found by blocking; a
condition it does not know is refused, never guessed."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from palermo.match.incremental import Resolver, Scorer
from palermo.match.pair_scorer import PairScorer, Unsupported, compile_rule
from palermo.match.xref import from_ftm
from palermo.world import generate
from tests.match.test_incremental import OKOYE_NG, OKOYE_NL, OTHERS


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Resolver:
    """A world big enough to train on (EM, u sampling, term frequencies on)."""
    folder: Path = tmp_path_factory.mktemp("world")
    generate(folder, 1300, seed=5)
    records = []
    for path in sorted(folder.glob("*/entities.ftm.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entity = json.loads(line)
            if entity["schema"] == "Person":
                props = entity["properties"]
                records.append(
                    from_ftm(
                        f"{path.parent.name}:{entity['id']}",
                        path.parent.name,
                        lambda p, v=props: v.get(p, []),
                    )
                )
    return Resolver.build(records)


def test_the_compiled_model_scores_every_pair_as_splinks_sql(trained: Resolver) -> None:
    assert isinstance(trained.scorer, PairScorer)  # the fast path is the one taken
    assert any(lv.tf_column for c in trained.scorer.comparisons for lv in c.levels)
    sql = Scorer(trained.scorer_linker, list(trained.rows.values()))
    rows = list(trained.rows.values())
    rng = random.Random(3)
    checked = 0
    for new in rng.sample(rows, 40):
        # candidates as an arrival gets them, plus random records (mostly not blocked)
        found = trained.candidates.find(new, 60)
        others = [trained.rows[r] for r in found] + rng.sample(rows, 20)
        others = [o for o in others if o["unique_id"] != new["unique_id"]]
        ours = {(lk.left, lk.right): lk for lk in trained.scorer.score(new, others)}
        theirs = {(lk.left, lk.right): lk for lk in sql.score(new, others)}
        assert ours.keys() == theirs.keys()
        for pair, link in theirs.items():
            assert ours[pair].probability == pytest.approx(link.probability, rel=1e-9, abs=1e-12)
            assert ours[pair].weights.keys() == link.weights.keys()
            for name, weight in link.weights.items():
                assert ours[pair].weights[name] == pytest.approx(weight, rel=1e-9, abs=1e-9)
            checked += 1
    assert checked > 50  # enough blocked pairs were compared to mean something


def test_arrivals_join_as_before_with_the_untrained_model() -> None:
    resolver = Resolver.build([*OTHERS, OKOYE_NG])
    assert isinstance(resolver.scorer, PairScorer)
    arrival = resolver.add(OKOYE_NL)
    assert arrival.identity == resolver.identities()["ng.okoye"]


def test_an_unknown_condition_is_refused_not_guessed() -> None:
    model = {
        "probability_two_random_records_match": 0.001,
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [
                    {
                        "sql_condition": "jaro(name_l, name_r) > 0.9",
                        "m_probability": 0.9,
                        "u_probability": 0.1,
                    },
                    {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 0.9},
                ],
            }
        ],
    }
    with pytest.raises(Unsupported, match="jaro"):
        PairScorer(model, [], [])
    with pytest.raises(Unsupported, match="blocking rule"):
        compile_rule("l.name = r.name OR l.dob = r.dob")


def test_blocking_rules_treat_null_as_sql_does() -> None:
    rule = compile_rule("l.name_each_0 = r.name_each_1 AND (l.dob IS NULL OR r.dob IS NULL)")
    assert rule({"name_each_0": "a", "dob": None}, {"name_each_1": "a", "dob": "2000-01-01"})
    assert not rule({"name_each_0": "a", "dob": "x"}, {"name_each_1": "a", "dob": "x"})
    assert not rule({"name_each_0": None, "dob": None}, {"name_each_1": None, "dob": None})
