"""DuckDB as cross-referencing's engine: how palermo's pair functions see their values."""

from __future__ import annotations

from palermo.match.engines import DuckDB


def test_pair_functions_see_one_object_per_distinct_value() -> None:
    """Arrow hands DuckDB's Python functions a new string per row and batch; the pair
    functions cache by their arguments, so each cached pair would hold its own copies of
    both records' values (gigabytes at 100,000 records, ADR 0054). Interned, a value
    seen in any number of rows and queries is one object."""
    seen: list[tuple[str | None, str | None]] = []

    def recorder(left: str | None, right: str | None) -> float:
        seen.append((left, right))
        return 0.5

    con = DuckDB().api({"palermo_test_pair": recorder})._con
    query = (
        "SELECT palermo_test_pair(l, r) FROM (VALUES "
        "('olga sidorova|olga petrova', 'ivan ivanovich petrov'), "
        "('olga sidorova|olga petrova', NULL), "
        "(NULL, 'ivan ivanovich petrov')) AS t(l, r)"
    )
    assert [row[0] for row in con.execute(query).fetchall()] == [0.5, 0.5, 0.5]
    con.execute(query).fetchall()
    lefts = [left for left, _ in seen if left is not None]
    rights = [right for _, right in seen if right is not None]
    assert len(lefts) == len(rights) == 4
    assert all(value is lefts[0] for value in lefts)
    assert all(value is rights[0] for value in rights)
    assert (None, "ivan ivanovich petrov") in seen
