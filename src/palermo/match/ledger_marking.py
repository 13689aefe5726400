"""The marking of a ledger identity: the merge of its records' markings.

Batch cross-referencing gives each identity the strictest marking of the records resolved
into it (`match.resolution.resolved_markings`). Identities of the ledger - written by batch
runs, by incremental resolution of arriving records (`match.arrivals`) and by undo - must
carry the same, however they were formed. The ledger stores only which records belong to
which identity, so the marking is computed when an identity is read, from the records as
the viewer reads them now (`store.entity_marking`): a code added to a record since the
merge is on the identity at once, and a record the viewer may no longer see contributes
neither its name nor its codes (the viewer is shown nothing of it but a count). Every path
that shows a ledger identity calls :func:`identity_marking`, so none can forget an input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from palermo.model.handling_merge import Marking, merge
from palermo.store.entity_marking import entity_marking
from palermo.store.views import Entity


def record_markings(entities: Iterable[Entity]) -> dict[str, Marking]:
    """record id -> the marking of the record as read (every value of it)."""
    return {e.id: entity_marking(e) for e in entities}


def identity_marking(records: Iterable[str], markings: Mapping[str, Marking]) -> Marking:
    """The merged marking of an identity's ``records`` that have a marking in ``markings``
    (those the viewer reads); no such record: no codes, ungraded."""
    return merge(markings[r] for r in records if r in markings)
