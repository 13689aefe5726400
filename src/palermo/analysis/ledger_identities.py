"""The identities analysis works on, from the resolution ledger (issue 15, ADR 0036).

Resolution keeps a ledger of identities per view (`match.ledger`), updated when a record
arrives (`match.arrivals`), when a batch run resolves the view, and when an analyst undoes
a merge or a split. The link graph, the broker and community rankings, routes and risk
scores are built on these identities when the viewer's view has a ledger, so an arrival or
an undo shows in the next chart without a batch rerun; a view never resolved falls back to
resolving the workspace's records in batch (`analysis.identities`), as before the ledger.

Access: the ledger's table is read with the store's visibility rule in the query
(`ledger.visible_membership`), and only records of the workspace (read through
`Store.export` as the viewer) are kept, so an identity never holds a record the viewer may
not read, and a graph node or edge is only ever made from a record the viewer read.

Judgements: the newest visible judgements are laid over the ledger
(`match.verdict_overlay.apply_verdicts`, the one overlay every reader of identities uses,
the single-record lookup `match.ledger_access.identity_of` included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from palermo.access.viewer import Viewer
from palermo.match import ledger
from palermo.match.verdict_overlay import Verdicts, apply_verdicts
from palermo.store.store import Store

__all__ = ["Verdicts", "apply_verdicts", "ledger_identities"]


def ledger_identities(
    store: Store,
    viewer: Viewer,
    entities: Iterable[Mapping[str, Any]],
    verdicts: Verdicts,
) -> dict[str, str] | None:
    """record id -> identity id from the viewer's view's ledger, for the workspace's Person
    records; None when the view has no ledger (the caller resolves in batch then). A
    visible person not resolved in the view yet (it arrived where no resolver runs) is
    its own node until the next arrival or run resolves it."""
    membership = ledger.visible_membership(store, viewer)
    if membership is None:
        return None
    persons = {str(e["id"]) for e in entities if e.get("schema") == "Person"}
    kept = {record: identity for record, identity in membership.items() if record in persons}
    return apply_verdicts(kept, verdicts)
