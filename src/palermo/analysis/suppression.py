"""Small-cell suppression for counts about victims (k-anonymity, k >= 11 as CTDC publishes).

A count of victims below k can point at a person ("the one Vietnamese girl in forced labour
in 2025"), so no released cell may be below k. Hiding the small cells alone is not enough:
a table also shows its total, and total minus the shown cells gives the hidden cell back
when only one is hidden. So, per table (one variable, a partition of the same victims):

1. *Primary suppression*: every category with 0 < count < k is hidden.
2. The hidden categories are released only as one pooled row, "other categories", whose
   members are not named.
3. *Complementary suppression*: while that pool is below k, or holds fewer than two
   categories, or holds nothing but ones (pool == number of members, which would give each
   member away to someone who knows which categories occur), the smallest shown category
   joins the pool.
4. A table whose total is below k is withheld whole.

What an observer of one released table can then work out about a hidden category, even
knowing exactly which categories are in the pool and that each holds at least one victim,
is an interval of at least two values: ``[1, pool - (members - 1)]`` with ``pool >
members``. The tables released together are all partitions of the same victims by
different variables, so their only shared fact is the total. Cross tables (year by form)
are not released: their margins are the one-way tables, and hiding a cell there would need
suppression over rows and columns at once (ADR 0021).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

K = 11  # CTDC's threshold: counts of 1 to 10 are never published
OTHER = "Other categories (small counts pooled)"


@dataclass(frozen=True)
class SafeTable:
    """One released table: shown categories (each >= k), the pooled rest, the total.

    ``total`` is None when the whole table is withheld (fewer than k victims); ``other``
    is None when nothing had to be pooled."""

    caption: str
    rows: tuple[tuple[str, int], ...]
    other: int | None
    total: int | None
    k: int = K

    @property
    def withheld(self) -> bool:
        return self.total is None

    def cells(self) -> list[int]:
        """Every number the table shows (for checks: none may be below k)."""
        shown = [n for _, n in self.rows]
        shown += [self.other] if self.other is not None else []
        shown += [self.total] if self.total is not None else []
        return shown


def _pool_unsafe(pool: Mapping[str, int], k: int) -> bool:
    size = sum(pool.values())
    return bool(pool) and (size < k or len(pool) < 2 or size <= len(pool))


def suppress(caption: str, counts: Mapping[str, int], k: int = K) -> SafeTable:
    """The releasable form of one table of counts (categories with 0 are dropped)."""
    if k < 2:
        raise ValueError(f"k: {k} is below 2, which would publish single victims")
    present = {label: n for label, n in counts.items() if n > 0}
    total = sum(present.values())
    if total < k:
        return SafeTable(caption, (), None, None, k)
    shown = {label: n for label, n in present.items() if n >= k}
    pool = {label: n for label, n in present.items() if n < k}
    while _pool_unsafe(pool, k) and shown:
        smallest = min(shown, key=lambda label: (shown[label], label))
        pool[smallest] = shown.pop(smallest)
    rows = tuple(sorted(shown.items(), key=lambda item: (-item[1], item[0])))
    return SafeTable(caption, rows, sum(pool.values()) if pool else None, total, k)
