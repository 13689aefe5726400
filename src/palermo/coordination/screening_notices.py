"""Hit notices of a screening: the owner of every record hit is told, whatever the interface.

A screening tells the owners of the other agencies' records it hit (`hit_notices`), like
INTERPOL's notification of a hit on an SLTD record: the API, the CLI (``palermo screen``)
and the web screening page all call :func:`notify` with the records their answer returned,
so an owner learns of every hit on its records whichever interface the screener used, with
the same purpose text and the same ``hit.notice`` audit rows. When the screening's purpose
made it withhold a record's values (H0, `match.screening_purpose`), that record's owner is
told with the purpose marked as withheld, so it knows a hit on its restricted data reached
someone who got the hit but not the values, and can follow up. One request's notices are
one transaction (one commit, one wake of the relay), however many records it hit (ADR 0052).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from palermo.access.viewer import Viewer
from palermo.coordination import hit_notices
from palermo.match.manifest import ManifestResult
from palermo.match.screening import ScreeningIndex
from palermo.match.screening_purpose import notice_purpose, withheld_ids
from palermo.store.store import Store


def notify(
    store: Store,
    searcher: Viewer,
    index: ScreeningIndex,
    ids: Iterable[str],
    declared: str | None,
    audited: tuple[str, str, dict[str, Any]] | None = None,
) -> list[int]:
    """Notify the owners of every record hit: with ``declared`` as the purpose, and with
    the purpose marked withheld for records whose values the answer withheld.
    ``audited``: the screening's own audit row (action, target, detail), written in the
    notices' transaction just before their rows (one commit, not two in a row), or alone
    when no other agency's record was hit; committed either way when this returns."""
    groups = _groups(index, ids, declared)
    return hit_notices.notify_ids_for(store, searcher, groups, "screening", audited)


async def notify_async(
    store: Store,
    searcher: Viewer,
    index: ScreeningIndex,
    ids: Iterable[str],
    declared: str | None,
    audited: tuple[str, str, dict[str, Any]] | None = None,
) -> list[int]:
    """:func:`notify` for an async route (the document check): the same rows and commit,
    waited for on the event loop rather than in a thread of the pool."""
    groups = _groups(index, ids, declared)
    return await hit_notices.notify_ids_for_async(store, searcher, groups, "screening", audited)


def _groups(
    index: ScreeningIndex, ids: Iterable[str], declared: str | None
) -> list[tuple[Iterable[str], str | None]]:
    """The records hit, grouped by the purpose their owners are told: ``declared``, or
    marked withheld for those whose values the answer withheld."""
    ids = list(dict.fromkeys(ids))
    purpose = index.purpose
    gone = set(withheld_ids(index, ids, purpose)) if purpose is not None else set()
    groups: list[tuple[Iterable[str], str | None]] = [([i for i in ids if i not in gone], declared)]
    if gone and purpose is not None:
        said = notice_purpose(declared, purpose, hit_notices.MAX_PURPOSE)
        groups.append((sorted(gone), said))
    return groups


def manifest_hits(result: ManifestResult) -> list[str]:
    """Every record a manifest's answer hit, for :func:`notify`: the candidates, then the
    document reports (one list, so one transaction, on every interface)."""
    ids = [c.person.id for p in result.passengers for c in p.candidates]
    return ids + [h.entity_id for p in result.passengers if p.document for h in p.document.hits]
