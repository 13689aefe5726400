"""The marking of records and of the identities they are resolved into, however held.

Two layers show identities built from records: the ledger pages (`match.ledger_access`,
records read as store `Entity` objects) and the analyses (`analysis.indicators`,
`analysis.linkgraph`, `analysis.report`, records as FtM dicts carrying their marking text
under :data:`KEY`). Both need the same two steps -- record id -> the record's marking, then
identity -> the merge (`model.handling_merge.merge`) of its records' markings -- and each
used to have its own copy of them, free to drift (ADR 0034, ADR 0036). This module is the
one copy, at the bottom layer so that `match` and `analysis` may both import it.

It does not import the store: how one record's marking is read is given by the caller
(`store.entity_marking.entity_marking` for an `Entity`, :func:`carried_marking` for an
analysis dict), so the store's cached policy reading stays the one way to read a stored
value's marking. A record missing from the markings (one the viewer may no longer see)
lends an identity neither its codes nor anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from palermo.model.handling_merge import Marking, merge, merge_groups

KEY = "handling"  # where an analysis dict carries its marking text (`analysis.service`)


class Identified(Protocol):
    """A record held as an object with an id (a store `Entity`)."""

    @property
    def id(self) -> str: ...


Record = TypeVar("Record", bound=Mapping[str, Any] | Identified)


def record_id(record: Mapping[str, Any] | Identified) -> str:
    """The id of a record, whether an analysis dict or an object with ``id``."""
    return str(record["id"]) if isinstance(record, Mapping) else record.id


def carried_marking(record: Mapping[str, Any]) -> Marking:
    """The marking an analysis dict carries under :data:`KEY` (none: no codes, ungraded)."""
    text = record.get(KEY)
    return Marking.parse(str(text)) if text else Marking()


def record_markings(
    records: Iterable[Record], marking: Callable[[Record], Marking]
) -> dict[str, Marking]:
    """record id -> the marking ``marking`` reads from the record (every value of it)."""
    return {record_id(r): marking(r) for r in records}


def identity_marking(records: Iterable[str], markings: Mapping[str, Marking]) -> Marking:
    """The merged marking of an identity's ``records`` that have a marking in ``markings``
    (those the viewer reads); no such record: no codes, ungraded."""
    return merge(markings[r] for r in records if r in markings)


def identity_markings(
    markings: Mapping[str, Marking], identity_of: Mapping[str, str]
) -> dict[str, Marking]:
    """identity id -> the merge of the markings of all its records (a record with no
    identity is its own)."""
    return merge_groups(markings, identity_of)
