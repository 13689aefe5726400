"""Blocking and training choices that keep cross-referencing linear at scale."""

from __future__ import annotations

from typing import Any

from palermo.match.xref import (
    BROAD,
    XrefRecord,
    _unmix_levels,
    broad_keys,
    features,
    namesakes_rare,
)


def rows_with(key1: list[str]) -> list[dict[str, Any]]:
    rows = [features(XrefRecord(f"r{i}", "A", (f"{k} Smith",))) for i, k in enumerate(key1)]
    return [dict(r) for r in rows]


def test_broad_keys_drop_blocks_over_the_size_limit() -> None:
    rows = rows_with(["Anna"] * 4 + ["Boris"] * 2)
    broad_keys(rows, limit=3, per_record=100)
    column = f"broad{BROAD.index(('name_key1', 'name_key2'))}"
    kept = [r[column] for r in rows]
    assert kept[:4] == [None] * 4  # four records share the key: over the limit
    assert kept[4] == kept[5] is not None


def test_broad_keys_spend_the_pair_budget_on_the_rarest_keys() -> None:
    rows = rows_with(["Anna"] * 3 + ["Boris"] * 2 + ["Clara"] * 2)
    # 7 records x 0.5 = 3.5 pairs: Boris (1) and Clara (1) fit, Anna (3 more) does not
    broad_keys(rows, limit=50, per_record=0.5)
    column = f"broad{BROAD.index(('name_key1', 'name_key2'))}"
    assert [r[column] is not None for r in rows] == [False] * 3 + [True] * 4


def test_namesakes_rare_reads_whether_same_name_pairs_share_the_year() -> None:
    def row(name: str, year: str) -> dict[str, Any]:
        return {"name_fold": name, "dob_year": year}

    one_person = [row("ana pop", "1990")] * 3 + [row("ion pop", "1985")] * 2
    namesakes = [row("ana pop", str(1970 + i)) for i in range(10)]
    assert namesakes_rare(one_person)
    assert not namesakes_rare(namesakes)


def levels(*pairs: tuple[float, float]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"is_null_level": True}]
    out += [{"m_probability": m, "u_probability": u} for m, u in pairs]
    return out


def test_unmixing_takes_the_matches_out_of_sampled_u() -> None:
    # Random pairs were matches 1 time in 1000; 70% of matches share the name, so of the
    # 0.1% of sampled pairs sharing a name, 0.07% were matches: u is the other 0.03%.
    lv = levels((0.7, 0.001), (0.3, 0.999))
    _unmix_levels(lv, prior=0.001)
    same, other = lv[1]["u_probability"], lv[2]["u_probability"]
    assert same < 0.001 / 3 and same > 0.001 / 4
    assert abs(same + other - 1) < 1e-12
    assert lv[0] == {"is_null_level": True}


def test_unmixing_lowers_u_at_most_tenfold_and_barely_at_scale() -> None:
    lv = levels((0.9, 0.001), (0.1, 0.999))
    _unmix_levels(lv, prior=0.01)  # λ·m is 9x what was measured: EM's m is off
    assert lv[1]["u_probability"] >= 0.0001 * 0.99  # a tenth, less renormalisation
    at_scale = levels((0.7, 0.001), (0.3, 0.999))
    _unmix_levels(at_scale, prior=1e-6)
    assert abs(at_scale[1]["u_probability"] - 0.001) < 0.001 * 0.001


def blocked_pairs(rows: list[dict[str, Any]], model: Any = None) -> set[tuple[str, str]]:
    """The candidate pairs the blocking rules give (of `model`, else of new settings)."""
    import pyarrow as pa

    from palermo.match.engines import DuckDB
    from palermo.match.xref import _linker, settings

    prepared = [dict(r) for r in rows]
    broad_keys(prepared)
    linker = _linker(pa.Table.from_pylist(prepared), model or settings(), DuckDB())
    frame = linker.inference.compute_blocked_pairs_for_predict()
    return {(str(row["join_key_l"]), str(row["join_key_r"])) for row in frame.as_record_list()}


def one_key_and_year() -> list[dict[str, Any]]:
    """Sixty records sharing the first name key (too many for the key alone to block), each
    with its own family name and birth year, but r0 and r1 (and r2 and r3) born the same
    year."""
    consonants = "bdfgklmnprst"
    families = [f"{a.upper()}a{b}ov" for a in consonants for b in consonants if a != b][:60]
    years = [1930 + i for i in range(60)]
    years[1] = years[0]
    years[3] = years[2]  # another shared key: a batch without r1 still keeps keys of two
    records = [
        XrefRecord(f"r{i}", "A", (f"Anna {family}",), f"{year}-0{1 + i % 9}-1{i % 10}")
        for i, (family, year) in enumerate(zip(families, years, strict=True))
    ]
    return [dict(features(r)) for r in records]


def test_a_name_key_with_the_birth_year_alone_no_longer_blocks() -> None:
    rows = one_key_and_year()
    a, b = rows[0], rows[1]
    assert a["name_key1"] == b["name_key1"] and a["dob_year"] == b["dob_year"]
    for column in ("name_key2", "name_skel", "name_fold", "dob"):
        assert a[column] != b[column]
    assert ("r0", "r1") not in blocked_pairs(rows)
    # the same two records with both name keys alike are still a candidate pair
    rows[1] = dict(
        features(XrefRecord("r1", "A", (f"Anna {rows[0]['name_key2']}x",), "1930-05-05"))
    )
    assert rows[1]["name_key2"] == a["name_key2"]
    assert ("r0", "r1") in blocked_pairs(rows)


def test_a_saved_model_blocking_on_a_retired_key_still_runs() -> None:
    """A model saved before ADR 0058 names the retired columns in its rules: they are
    still computed, and its rule still finds the pair."""
    from palermo.match.xref import BROAD_RETIRED, settings

    retired = [f"broad{i}" for i, cols in enumerate(BROAD) if cols in BROAD_RETIRED]
    assert retired == ["broad0", "broad1"]
    model = settings().get_settings("duckdb").as_dict()
    model["blocking_rules_to_generate_predictions"].append(
        {"blocking_rule": 'l."broad0" = r."broad0"', "sql_dialect": "duckdb"}
    )
    assert ("r0", "r1") in blocked_pairs(one_key_and_year(), model)


def test_arrivals_look_up_only_the_broad_keys_the_rules_block_on() -> None:
    """An arrival sharing only a retired key (a name key and the birth year) with a batch
    record gets no candidate from it; under a saved model that blocks on it, it does."""
    from palermo.match.incremental import Candidates, Resolver

    rows = one_key_and_year()
    batch, new = rows[:1] + rows[2:], rows[1]
    broad_keys(batch)
    linker = _linker_of(batch)
    rules = Resolver.scorer_rules({}, linker)
    assert "r0" not in Candidates(rules, batch).find(new)
    old_rules = [*rules, 'l."broad0" = r."broad0"']
    assert "r0" in Candidates(old_rules, batch).find(new)


def _linker_of(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    from palermo.match.engines import DuckDB
    from palermo.match.xref import _linker, settings

    return _linker(pa.Table.from_pylist(rows), settings(), DuckDB())
