"""Statements: one property value of one entity, as said by one agency at one time.

Statements are never updated in place. A correction is a new statement; a deletion is a
retraction statement with the same key. History therefore stays readable and exchange
between nodes is a matter of copying rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from palermo.model.sharing import Sharing

BASE = "id"  # the property of the statement that says "this entity exists, with this schema"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def change_time() -> datetime:
    """The time of a correction, to the microsecond: a value changed back within the same
    second (reopen right after close, replace A by B and back) would otherwise get the id
    of the earlier identical statement, and being a duplicate it would be dropped."""
    return datetime.now(UTC)


def make_entity_id(agency: str, source_id: str) -> str:
    """Namespace a record id by its agency, so two agencies' ``p1`` never collide.

    Ids that already carry the agency prefix are returned unchanged, which makes the
    function safe to apply twice (e.g. on re-import of an export).
    """
    prefix = f"{agency.lower()}."
    if source_id.startswith(prefix):
        return source_id
    return prefix + source_id


@dataclass(frozen=True)
class Statement:
    entity_id: str
    schema: str
    prop: str
    value: str
    agency: str
    source_record_id: str
    sharing: Sharing = field(default_factory=Sharing)
    first_seen: datetime = field(default_factory=utcnow)
    last_seen: datetime | None = None
    retracted: bool = False

    @property
    def key(self) -> str:
        """What a retraction matches: the same value of the same property, same owner."""
        raw = "\x1f".join((self.entity_id, self.prop, self.value, self.agency))
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    @property
    def id(self) -> str:
        """Content hash: the same statement written twice (or replayed by exchange) is one row."""
        seen = self.first_seen.isoformat()
        last = self.last_seen.isoformat() if self.last_seen else ""
        raw = "\x1f".join(
            (
                self.key,
                self.schema,
                self.source_record_id,
                self.sharing.canonical,
                seen,
                last,
                "r" if self.retracted else "a",
            )
        )
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    def retraction(self, when: datetime | None = None) -> Statement:
        """The statement that withdraws this one."""
        return Statement(
            entity_id=self.entity_id,
            schema=self.schema,
            prop=self.prop,
            value=self.value,
            agency=self.agency,
            source_record_id=self.source_record_id,
            sharing=self.sharing,
            first_seen=when or utcnow(),
            retracted=True,
        )
