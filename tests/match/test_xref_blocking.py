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
