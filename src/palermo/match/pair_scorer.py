"""Scoring an arriving record against its candidates in Python, from the trained model.

Why: `incremental.Scorer` runs Splink's own scoring SQL on DuckDB for every arrival, and
the profile at 20,000 records showed that one query (table fill, re-binding the prepared
statement, the Python similarity functions called through Arrow) was most of the time
of an arrival, and all of its tail. The arithmetic itself is small: per comparison, the
first level whose condition holds gives log2(m/u), a term-frequency level adds
log2(u) - log2(max(tf_l, tf_r, minimum)), and the prior's log-odds is added. So the model's
JSON (the same m, u and prior Splink scores with) is compiled here once into plain Python
predicates over the feature rows, calling the very functions Splink's SQL calls
(`xref.UDFS`, rapidfuzz's Levenshtein for DuckDB's `levenshtein`).

Only the condition shapes `xref` writes are understood: the null level, `ELSE`,
`a_l = b_r`, `udf(a_l, b_r) >= x`, `levenshtein(a_l, b_r) <= n`; blocking rules are ANDs of
`l.a = r.b` and `(l.a IS NULL OR r.b IS NULL)`. Anything else raises `Unsupported` and
the resolver keeps the SQL scorer, so a change of model shape in `xref` can never be
scored wrongly here, only more slowly. `tests/match/test_pair_scorer.py` checks that the
two scorers agree pair by pair.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

from palermo.match.xref import UDFS, Link

Row = Mapping[str, Any]
Predicate = Callable[[Row, Row], bool]


class Unsupported(ValueError):
    """A model or blocking rule this compiler does not understand (the SQL scorer stays)."""


_COL = r'"?(\w+?)_(l|r)"?'
_NULL = re.compile(rf"^{_COL}\s+IS NULL\s+OR\s+{_COL}\s+IS NULL$", re.I)
_EQUAL = re.compile(rf"^{_COL}\s*=\s*{_COL}$")
_CALL = re.compile(rf"^(\w+)\(\s*{_COL}\s*,\s*{_COL}\s*\)\s*(>=|<=|>|<)\s*([0-9.eE+-]+)$")
_RULE_EQUAL = re.compile(r'^l\."?(\w+)"?\s*=\s*r\."?(\w+)"?$')
_RULE_NULL = re.compile(r'^l\."?(\w+)"?\s+IS NULL\s+OR\s+r\."?(\w+)"?\s+IS NULL$', re.I)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def _side(row_l: Row, row_r: Row, column: str, side: str) -> Any:
    return (row_l if side == "l" else row_r).get(column)


def _text(value: Any) -> str | None:
    """As the batch's table holds every column: text, or null."""
    return None if value is None else str(value)


def _functions() -> dict[str, Callable[[str | None, str | None], float]]:
    def levenshtein(a: str | None, b: str | None) -> float:
        return float(Levenshtein.distance(a or "", b or ""))

    return {**UDFS, "levenshtein": levenshtein}


def _condition(sql: str) -> Predicate | None:
    """A level's condition as a predicate; None for ELSE (always true)."""
    text = " ".join(sql.split())
    if text.upper() == "ELSE":
        return None
    if m := _NULL.match(text):
        a, sa, b, sb = m.groups()
        return lambda lt, rt: _side(lt, rt, a, sa) is None or _side(lt, rt, b, sb) is None
    if m := _EQUAL.match(text):
        a, sa, b, sb = m.groups()

        def equal(lt: Row, rt: Row) -> bool:
            x, y = _side(lt, rt, a, sa), _side(lt, rt, b, sb)
            return x is not None and y is not None and _text(x) == _text(y)

        return equal
    if m := _CALL.match(text):
        name, a, sa, b, sb, op, bound = m.groups()
        fn = _functions().get(name.lower())
        if fn is None:
            raise Unsupported(f"comparison level: unknown function {name!r} in {sql!r}")
        compare, limit = _COMPARE[op], float(bound)

        def call(lt: Row, rt: Row) -> bool:
            x, y = _side(lt, rt, a, sa), _side(lt, rt, b, sb)
            if name.lower() == "levenshtein" and (x is None or y is None):
                return False  # SQL: levenshtein of a null is null, the level does not hold
            return compare(fn(_text(x), _text(y)), limit)

        return call
    raise Unsupported(f"comparison level: cannot compile {sql!r}")


@dataclass(frozen=True)
class _Level:
    test: Predicate | None  # None: ELSE
    weight: float  # log2(m/u); 0 for the null level
    null: bool
    tf_column: str | None = None
    tf_base: float = 0.0  # log2(u) of the level, for the term-frequency adjustment
    tf_weight: float = 1.0
    tf_minimum: float = 0.0


@dataclass(frozen=True)
class _Comparison:
    name: str
    levels: tuple[_Level, ...]


def _compile_comparison(spec: Mapping[str, Any]) -> _Comparison:
    levels = []
    for level in spec["comparison_levels"]:
        test = _condition(str(level["sql_condition"]))
        if level.get("is_null_level"):
            levels.append(_Level(test, 0.0, True))
            continue
        m, u = float(level["m_probability"]), float(level["u_probability"])
        if m <= 0 or u <= 0:
            raise Unsupported(f"comparison {spec['output_column_name']}: m or u is 0")
        column = level.get("tf_adjustment_column")
        if column is not None and not level.get("disable_tf_exact_match_detection"):
            raise Unsupported("term frequencies with exact-match detection are not compiled")
        levels.append(
            _Level(
                test,
                math.log2(m / u),
                False,
                column,
                math.log2(u),
                float(level.get("tf_adjustment_weight", 1.0)),
                float(level.get("tf_minimum_u_value", 0.0)),
            )
        )
    return _Comparison(str(spec["output_column_name"]), tuple(levels))


def compile_rule(sql: str) -> Predicate:
    """A blocking rule (as Splink holds it) as a predicate over (left, right) rows."""
    text = " ".join(sql.split())
    clauses = [c.strip() for c in re.split(r"\s+AND\s+(?![^(]*\))", text, flags=re.I)]
    tests: list[Predicate] = []
    for clause in clauses:
        inner = clause
        while inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1].strip()
        if m := _RULE_EQUAL.match(inner):
            tests.append(_rule_equal(*m.groups()))
        elif m := _RULE_NULL.match(inner):
            tests.append(_rule_null(*m.groups()))
        else:
            raise Unsupported(f"blocking rule: cannot compile {clause!r} of {sql!r}")
    return lambda lt, rt: all(t(lt, rt) for t in tests)


def _rule_equal(a: str, b: str) -> Predicate:
    def test(lt: Row, rt: Row) -> bool:
        x, y = lt.get(a), rt.get(b)
        return x is not None and y is not None and _text(x) == _text(y)

    return test


def _rule_null(a: str, b: str) -> Predicate:
    def test(lt: Row, rt: Row) -> bool:
        return lt.get(a) is None or rt.get(b) is None

    return test


def term_frequencies(rows: Sequence[Row], columns: Sequence[str]) -> dict[str, dict[str, float]]:
    """Each value's share of the non-null values of its column (Splink's tf tables)."""
    out: dict[str, dict[str, float]] = {}
    for column in columns:
        counts = Counter(_text(v) for r in rows if (v := r.get(column)) is not None)
        total = sum(counts.values())
        out[column] = {str(k): n / total for k, n in counts.items()} if total else {}
    return out


class PairScorer:
    """The trained model compiled to Python: the same links `incremental.Scorer` gives
    (probability, match weight per comparison, found by a blocking rule), without SQL."""

    def __init__(self, model: Mapping[str, Any], rules: Sequence[str], rows: Sequence[Row]):
        prior = float(model["probability_two_random_records_match"])
        if not 0 < prior < 1:
            raise Unsupported(f"probability_two_random_records_match: {prior} is not in (0, 1)")
        self.prior = math.log2(prior / (1 - prior))
        self.comparisons = [_compile_comparison(c) for c in model["comparisons"]]
        self.rules = [compile_rule(r) for r in rules]
        tf_columns = sorted(
            {lv.tf_column for c in self.comparisons for lv in c.levels if lv.tf_column}
        )
        self.tf = term_frequencies(rows, tf_columns)

    def blocked(self, left: Row, right: Row) -> bool:
        return any(rule(left, right) for rule in self.rules)

    def weights(self, left: Row, right: Row) -> dict[str, float]:
        """Match weight per comparison (and per term-frequency adjustment), named as
        Splink's `mw_` columns without the prefix."""
        out: dict[str, float] = {}
        for comparison in self.comparisons:
            has_tf = any(lv.tf_column for lv in comparison.levels)
            for level in comparison.levels:
                if level.test is not None and not level.test(left, right):
                    continue
                out[comparison.name] = level.weight
                if has_tf:
                    out[f"tf_adj_{comparison.name}"] = self._tf_adjustment(level, left, right)
                break
        return out

    def _tf_adjustment(self, level: _Level, left: Row, right: Row) -> float:
        if level.null or level.tf_column is None:
            return 0.0
        table = self.tf[level.tf_column]
        found = [
            f
            for v in (left.get(level.tf_column), right.get(level.tf_column))
            if v is not None and (f := table.get(str(v))) is not None
        ]
        if not found:
            return 0.0
        return level.tf_weight * (level.tf_base - math.log2(max(*found, level.tf_minimum)))

    def probability(self, weights: Mapping[str, float]) -> float:
        total = self.prior + sum(weights.values())
        if total >= 0:
            return 1.0 / (1.0 + math.pow(2.0, -total))
        return math.pow(2.0, total) / (1.0 + math.pow(2.0, total))

    def score(self, new: Row, candidates: Sequence[Row]) -> list[Link]:
        """Links from `new` to each candidate a blocking rule finds (as `Scorer.score`)."""
        links = []
        for other in candidates:
            if not self.blocked(new, other):
                continue
            weights = self.weights(new, other)
            a, b = str(new["unique_id"]), str(other["unique_id"])
            links.append(Link(min(a, b), max(a, b), self.probability(weights), weights))
        return links
