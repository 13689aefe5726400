"""The pair functions' shortcuts (ADR 0054) give what the full computation gives: a part or
a whole name both records hold settles the score at 1, and cached splits change nothing."""

from __future__ import annotations

import itertools

from palermo.match.names import best_part_similarity, parts_similarity
from palermo.match.xref import (
    XrefRecord,
    _split,
    best_name_similarity,
    best_single_part,
    features,
)

NAMES = (
    ("Ivan Petrov",),
    ("Иван Петров",),
    ("Ivan Petrov", "Vanya Petrov"),
    ("Petrov Ivan",),
    ("Ibrahim Ibrahim",),
    ("Ibrahim",),
    ("Mohamed Ali Hassan",),
    ("محمد علي حسن",),
    ("Faith Uwadiae",),
    ("Faith Joy Uwadiae",),
    ("Pairoj Srisuk",),
    ("ไพโรจน์ ศรีสุข",),
    ("Anna Berg", "Anna Lopez"),
    ("Lopez Anna",),
    ("Zhang Wei",),
    ("張偉",),
)


def full_name(left: str | None, right: str | None) -> float:
    return max((parts_similarity(a, b) for a in _split(left) for b in _split(right)), default=0.0)


def full_part(left: str | None, right: str | None) -> float:
    a = {t for name in _split(left) for t in name}
    b = {t for name in _split(right) for t in name}
    return best_part_similarity(sorted(a), sorted(b))


def test_shortcuts_give_the_full_scores() -> None:
    values = [
        features(XrefRecord(f"r{i}", "A", names))["name_parts"] for i, names in enumerate(NAMES)
    ]
    shared = 0
    for left, right in itertools.product([*values, None, ""], repeat=2):
        assert best_name_similarity(left, right) == full_name(left, right), (left, right)
        assert best_single_part(left, right) == full_part(left, right), (left, right)
        shared += bool(left and right and set(_split(left)) & set(_split(right)))
    assert shared > len(values)  # the shortcut was taken, not only the full path
