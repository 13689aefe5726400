"""What a viewer gets back: entities assembled from the statements it may see.

The same entity id yields different views for different agencies; every value keeps its
source agency, dates and sharing so the UI and exports can show where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from followthemoney.exc import InvalidData

from palermo.model.schemata import model
from palermo.model.statement import BASE


@dataclass(frozen=True)
class Value:
    value: str
    agency: str
    source_record_id: str
    first_seen: datetime
    last_seen: datetime | None
    policy_id: str
    policy: str  # canonical text of the sharing policy, e.g. "group:EU|victim-sensitive"
    masked: bool
    statement_id: str


@dataclass
class Entity:
    id: str
    schema: str
    properties: dict[str, list[Value]] = field(default_factory=dict)
    agencies: set[str] = field(default_factory=set)
    # prop -> agencies whose values of it were left out for the read's declared purpose
    # (H0, `store.purpose_view.entity_for_purpose`); empty when nothing was withheld
    withheld: dict[str, list[str]] = field(default_factory=dict)

    @property
    def withheld_owners(self) -> list[str]:
        """The agencies to ask for the values withheld from this read (H0)."""
        return sorted({a for owners in self.withheld.values() for a in owners})

    def values(self, prop: str) -> list[str]:
        """Distinct values of one property, in first-seen order."""
        seen: dict[str, None] = {}
        for v in self.properties.get(prop, []):
            seen.setdefault(v.value, None)
        return list(seen)

    def first(self, prop: str) -> str | None:
        vals = self.values(prop)
        return vals[0] if vals else None

    @property
    def caption(self) -> str:
        schema = model.get(self.schema)
        for prop in schema.caption if schema else ["name"]:
            value = self.first(prop)
            if value:
                return value
        return self.id

    def to_ftm(self) -> dict[str, Any]:
        """The followthemoney JSON form, for export to Aleph/OpenSanctions tools."""
        props = {p: self.values(p) for p in sorted(self.properties) if p != BASE}
        return {"id": self.id, "schema": self.schema, "properties": props}


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything palermo stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def common_schema(names: Iterable[str]) -> str:
    """The most specific schema all statements agree on (Person + LegalEntity -> Person)."""
    result: str | None = None
    for name in names:
        if result is None or result == name:
            result = name
            continue
        try:
            result = model.common_schema(result, name).name
        except InvalidData:
            continue  # conflicting claims: keep the first; the resolver flags such entities
    return result or "Thing"


def assemble(rows: Iterable[Mapping[str, Any]]) -> list[Entity]:
    """Group statement rows (ordered by entity) into entities."""
    entities: dict[str, Entity] = {}
    schemata: dict[str, list[str]] = {}
    for row in rows:
        entity = entities.get(row["entity_id"])
        if entity is None:
            entity = entities[row["entity_id"]] = Entity(id=row["entity_id"], schema="Thing")
            schemata[entity.id] = []
        schemata[entity.id].append(row["schema"])
        entity.agencies.add(row["agency"])
        entity.properties.setdefault(row["prop"], []).append(
            Value(
                value=row["value"],
                agency=row["agency"],
                source_record_id=row["source_record_id"],
                first_seen=as_utc(row["first_seen"]) or datetime.now(UTC),
                last_seen=as_utc(row["last_seen"]),
                policy_id=row["policy_id"],
                policy=row["policy"],
                masked=bool(row["masked"]),
                statement_id=row["id"],
            )
        )
    for entity in entities.values():
        entity.schema = common_schema(schemata[entity.id])
    return list(entities.values())
