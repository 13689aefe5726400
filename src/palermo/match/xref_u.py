"""u of random pairs with the likely matches left out (issue 22, ADR 0044).

Why: u is how often a level holds between two records of different people. Random pairs
are nearly all such pairs, so Splink counts the levels over a random sample. Where
duplicates are dense (a few thousand records, each agency holding the same people), many
of the pairs that reach a rare level like "same name" are matches. Subtracting λ·m
afterwards (ADR 0007) leaves u as the difference of two close numbers. 120,000 pairs
instead of 300,000 moved it 1.7 times and cost `bench/match_scripts.py` 0.011 of F1.

Here every sampled pair is weighed by how likely it is *not* a match, given all its
other comparisons. This is the E-step of Fellegi-Sunter EM (Winkler; fastLink), applied
to the random sample with m and the prior λ held:

    u_k = sum_j (1 - g_j) [gamma_j = k] / sum_j (1 - g_j) [gamma_j not null]

where g_j is the model's match probability of pair j. A same-name pair born on the same
day drops out of the count; a same-name pair born years apart stays in. So u rests on
the few namesakes in the sample rather than on a difference of two large counts. The
sample is Splink's own: the same records, picked by the same hash of their ids, and all
their pairs. All comparisons are computed in one query, and the comparison vectors are
kept for the reweighting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import numpy as np

from palermo.match.engines import Engine

Array = np.ndarray[Any, Any]

# A level may not drop below this share of what the sample measured (EM's m carries its own
# error; ADR 0007), nor under half a pair of the sample.
MAX_DROP = 0.1
ITERATIONS = 100
# Below this many pairs' worth of non-matches in the sample, u is not re-estimated. A real
# run samples U_PAIRS pairs (it trains from 1,000 records on); only a handful of records
# (tests that force training on them) give fewer, and there the model's own weights are
# too weak to tell its matches (the fixed point leaves a same-day pair 20% non-match).
MIN_NON_MATCHES = 1000.0
TOLERANCE = 1e-7


@dataclass(frozen=True)
class RandomPairs:
    """The comparison vectors of the random sample: per comparison (Splink's output
    column name), each pair's level value (gamma, -1 for the null level) and the level
    values in the order of the model's JSON levels."""

    gammas: Mapping[str, Array]
    levels: Mapping[str, tuple[int, ...]]
    size: int


def sample(linker: Any, engine: Engine, max_pairs: float, seed: int | None) -> RandomPairs:
    """Comparison vectors of about `max_pairs` random pairs (dedupe only), as Splink's
    `estimate_u_using_random_sampling` samples them: the records whose id hashes into a
    proportion that gives that many pairs, and every pair of them."""
    from splink.internals.estimate_u import _estimate_u_comparison_vector_sqls
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.settings import Settings
    from splink.internals.vertically_concatenate import enqueue_df_concat

    training = deepcopy(linker)
    settings = training._settings_obj
    settings._retain_matching_columns = False
    settings._retain_intermediate_calculation_columns = False
    for comparison in settings.comparisons:
        for level in comparison.comparison_levels:
            level._tf_adjustment_column = None  # u is of the level, not of a value
    db_api = training._db_api
    info = settings.column_info_settings
    uid_cols = info.unique_id_input_columns

    pipeline = enqueue_df_concat(training, CTEPipeline())
    pipeline.enqueue_sql("select count(*) as count from __splink__df_concat", "__splink__n")
    counted = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    total = int(counted.as_record_list()[0]["count"])
    counted.drop_table_from_database_and_remove_from_cache()
    rows_needed = 0.5 * ((8 * max_pairs + 1) ** 0.5 + 1)  # r (r - 1) / 2 = max_pairs
    proportion = min(1.0, rows_needed / max(total, 1))

    pipeline = enqueue_df_concat(training, CTEPipeline())
    where = training._proportion_sample_sql(proportion, uid_cols, seed=seed)
    pipeline.enqueue_sql(
        f"select * from __splink__df_concat where 1=1 {where}", "__splink__df_concat_sample"
    )
    records = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    blocking_cols = [c for uid in uid_cols for c in uid.l_r_names_as_l_r]
    for comparison in settings.comparisons:
        blocking_cols += [
            c for c in comparison._columns_to_select_for_blocking() if c not in blocking_cols
        ]
    cv_cols = Settings.columns_to_select_for_comparison_vector_values(
        unique_id_input_columns=uid_cols,
        comparisons=settings.comparisons,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )
    pipeline = CTEPipeline(input_dataframes=[records])
    pipeline.enqueue_list_of_sqls(
        _estimate_u_comparison_vector_sqls(
            db_api=db_api,
            input_tablename_l="__splink__df_concat_sample",
            input_tablename_r="__splink__df_concat_sample",
            link_type=settings._link_type,
            source_dataset_input_column=info.source_dataset_input_column,
            unique_id_input_column=info.unique_id_input_column,
            blocking_cols=blocking_cols,
            cv_cols=cv_cols,
            rhs_chunk_num=1,
            rhs_num_chunks=1,
        )
    )
    vectors = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        gammas = {
            c.output_column_name: engine.column(
                db_api, vectors.physical_name, c._gamma_column_name
            ).astype(np.int64)
            for c in settings.comparisons
        }
    finally:
        vectors.drop_table_from_database_and_remove_from_cache()
        records.drop_table_from_database_and_remove_from_cache()
    levels = {
        c.output_column_name: tuple(int(lv.comparison_vector_value) for lv in c.comparison_levels)
        for c in settings.comparisons
    }
    size = len(next(iter(gammas.values()))) if gammas else 0
    return RandomPairs(gammas, levels, size)


def set_measured(linker: Any, pairs: RandomPairs) -> None:
    """Give the linker's levels the u the sample measures (each level's share of the
    pairs where neither side is null), as Splink's random sampling does; a level the
    sample never shows keeps its prior."""
    from splink.internals.m_u_records_to_parameters import (
        append_u_probability_to_comparison_level_trained_probabilities,
        m_u_records_to_lookup_dict,
    )

    records = []
    for name, gamma in pairs.gammas.items():
        counts = np.bincount(gamma[gamma >= 0], minlength=max(pairs.levels[name]) + 1)
        total = float(counts.sum())
        for value in pairs.levels[name]:
            if value >= 0 and total > 0 and counts[value] > 0:
                records.append(
                    {
                        "output_column_name": name,
                        "comparison_vector_value": value,
                        "u_probability": float(counts[value]) / total,
                        "m_probability": None,
                    }
                )
    lookup = m_u_records_to_lookup_dict(records)
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            append_u_probability_to_comparison_level_trained_probabilities(
                level, lookup, comparison.output_column_name, "estimate u by random sampling"
            )
    linker._populate_m_u_from_trained_values()  # as Splink's training steps end


def without_matches(model: dict[str, Any], pairs: RandomPairs, prior: float) -> set[str]:
    """Re-estimate each comparison's u in `model` on the random pairs, each pair counted
    by its probability of not being a match (m and the prior `prior` held, iterated to a
    fixed point), at least `MAX_DROP` of the measured u. Returns the comparisons left as
    measured: those whose sampled pairs hold under `MIN_NON_MATCHES` pairs' worth of
    non-matches (a handful of records, nearly all one person), where the sample says
    nothing about u and the caller falls back to subtracting λ·m (ADR 0007)."""
    comparisons = [c for c in model["comparisons"] if c["output_column_name"] in pairs.gammas]
    if pairs.size == 0:
        return {c["output_column_name"] for c in comparisons}
    known = {c["output_column_name"]: _probabilities(c, pairs) for c in comparisons}
    m = {name: values[0] for name, values in known.items()}
    measured = {name: values[1] for name, values in known.items()}
    gammas = {name: pairs.gammas[name] for name in known}
    observed = {
        name: np.bincount(gamma[gamma >= 0] + 1, minlength=len(measured[name])) > 0
        for name, gamma in gammas.items()
    }
    floor = 0.5 / pairs.size
    u = {name: values.copy() for name, values in measured.items()}
    mass = dict.fromkeys(known, 0.0)
    log_prior = float(np.log2(prior / (1 - prior)))
    for _ in range(ITERATIONS):
        weight = np.full(pairs.size, log_prior)
        for name, gamma in gammas.items():
            weight += (np.log2(m[name]) - np.log2(u[name]))[gamma + 1]
        not_match = 1.0 / (1.0 + np.exp2(np.clip(weight, -1000.0, 1000.0)))
        change = 0.0
        for name, gamma in gammas.items():
            counted = np.bincount(gamma + 1, weights=not_match, minlength=len(u[name]))
            counted[0] = 0.0  # the null level has no u
            mass[name] = float(counted.sum())
            if mass[name] < MIN_NON_MATCHES:
                continue
            fresh = np.where(
                observed[name],
                np.maximum(np.maximum(counted / mass[name], measured[name] * MAX_DROP), floor),
                u[name],
            )
            fresh[0] = 1.0
            change = max(change, float(np.max(np.abs(np.log(fresh) - np.log(u[name])))))
            u[name] = fresh
        if change < TOLERANCE:
            break
    left = {name for name, total in mass.items() if total < MIN_NON_MATCHES}
    for comparison in comparisons:
        name = comparison["output_column_name"]
        if name in left:
            continue
        levels = comparison["comparison_levels"]
        for level, index in zip(levels, _indices(comparison, pairs), strict=True):
            if not level.get("is_null_level") and isinstance(level.get("u_probability"), float):
                level["u_probability"] = float(u[name][index])
    return left


def _indices(comparison: Mapping[str, Any], pairs: RandomPairs) -> Sequence[int]:
    """Each JSON level's position in the arrays indexed by gamma + 1."""
    return [value + 1 for value in pairs.levels[comparison["output_column_name"]]]


def _probabilities(comparison: Mapping[str, Any], pairs: RandomPairs) -> tuple[Array, Array]:
    """m and u of each level as arrays indexed by gamma + 1; 1.0 and 1.0 (no weight) for
    the null level and for a level without numbers (never observed)."""
    size = max(pairs.levels[comparison["output_column_name"]]) + 2
    m, u = np.ones(size), np.ones(size)
    levels = comparison["comparison_levels"]
    for level, index in zip(levels, _indices(comparison, pairs), strict=True):
        mv, uv = level.get("m_probability"), level.get("u_probability")
        numbers = isinstance(mv, int | float) and isinstance(uv, int | float)
        if not level.get("is_null_level") and numbers and mv > 0 and uv > 0:
            m[index], u[index] = float(mv), float(uv)
    return m, u
