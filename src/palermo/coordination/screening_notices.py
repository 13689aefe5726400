"""Hit notices of a screening answered for a purpose: the owner hears of withheld values.

A screening tells the owners of the other agencies' records it hit (`hit_notices`). When
the screening's purpose made it withhold a record's values (H0, `match.screening_purpose`),
that record's owner is told with the purpose marked as withheld, so it knows a hit on its
restricted data reached someone who got the hit but not the values, and can follow up.
"""

from __future__ import annotations

from collections.abc import Iterable

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.match.screening import ScreeningIndex
from palermo.match.screening_purpose import notice_purpose, withheld_ids
from palermo.store.store import Store


def notify(
    store: Store,
    searcher: Viewer,
    index: ScreeningIndex,
    ids: Iterable[str],
    declared: str | None,
    every_hit: bool = True,
) -> list[int]:
    """Notify the owners of the records hit: with ``declared`` as the purpose (every hit,
    when ``every_hit``), and with the purpose marked withheld for records whose values the
    answer withheld."""
    ids = list(dict.fromkeys(ids))
    purpose = index.purpose
    gone = set(withheld_ids(index, ids, purpose)) if purpose is not None else set()
    plain = [i for i in ids if i not in gone] if every_hit else []
    out = hit_notices.notify_ids(store, searcher, plain, "screening", declared) if plain else []
    if gone and purpose is not None:
        said = notice_purpose(declared, purpose, hit_notices.MAX_PURPOSE)
        out += hit_notices.notify_ids(store, searcher, sorted(gone), "screening", said)
    return out
