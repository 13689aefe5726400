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

Judgements: analysts' confirm and reject are statements; a judgement is in the arrival
feed, and the view's resolver rebuilds on it (`match.arrivals`), but until that run is done
the ledger may not obey it yet. So the newest visible judgements are laid over the ledger here:
a confirmed pair's identities are one (never joining two that hold a rejected pair), and
an identity holding a pair an analyst rejected is shown as its separate records - which of
its other records belong with which side only a run can tell, and showing two people as
one is the error analysts must never be shown after saying "not the same".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from palermo.access.viewer import Viewer
from palermo.match import ledger
from palermo.match.xref import CONFIRM, REJECT
from palermo.store.store import Store

Verdicts = Mapping[tuple[str, str], str]


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


def apply_verdicts(identity_of: Mapping[str, str], verdicts: Verdicts) -> dict[str, str]:
    """The ledger's identities with judgements laid over them (see the module docstring).
    Pairs naming a record not in `identity_of` (not visible, not a resolved person) are
    ignored: a judgement never brings a record into the graph."""
    out = dict(identity_of)
    rejected = [(a, b) for (a, b), v in verdicts.items() if v == REJECT and a in out and b in out]
    for a, b in rejected:
        if out[a] == out[b]:
            _separate(out, out[a])
    members: dict[str, set[str]] = {}
    for record, identity in out.items():
        members.setdefault(identity, set()).add(record)
    apart = {(min(a, b), max(a, b)) for a, b in rejected}
    for (a, b), verdict in sorted(verdicts.items()):
        if verdict != CONFIRM or a not in out or b not in out or out[a] == out[b]:
            continue
        keep, gone = sorted((out[a], out[b]), key=lambda i: (-len(members[i]), i))
        if any((min(x, y), max(x, y)) in apart for x in members[keep] for y in members[gone]):
            continue
        for record in members[gone]:
            out[record] = keep
        members[keep] |= members.pop(gone)
    return out


def _separate(identity_of: dict[str, str], identity: str) -> None:
    """Every record of `identity` becomes its own node (its record id: records' and
    identities' ids never collide, `ledger.ID_PREFIX`)."""
    for record, current in list(identity_of.items()):
        if current == identity:
            identity_of[record] = record
