"""Blocking and training choices that keep cross-referencing linear at scale."""

from __future__ import annotations

from typing import Any

from palermo.match.xref import BROAD, XrefRecord, broad_keys, features, namesakes_rare


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
