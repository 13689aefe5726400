"""The JSON shapes of the API, as pydantic models so OpenAPI documents them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from palermo.store.purpose_view import withheld_note
from palermo.store.views import Entity


class ValueOut(BaseModel):
    value: str
    agency: str = Field(description="The agency that said this value")
    source_record_id: str
    first_seen: datetime
    last_seen: datetime | None
    sharing: str = Field(
        description="Audience and handling codes, e.g. 'group:EU|victim-sensitive'"
    )
    masked: bool = Field(description="True when the value is hidden for the caller's role")


class EntityOut(BaseModel):
    id: str
    schema_: str = Field(alias="schema")
    caption: str
    agencies: list[str]
    properties: dict[str, list[ValueOut]]
    withheld: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Property -> agencies whose values of it were left out: stated (H0) "
        "for purposes other than the one this read declared (ADR 0051)",
    )
    withheld_note: str | None = Field(
        default=None, examples=["withheld: H0, stated for other purposes; ask de-bka"]
    )

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, entity: Entity) -> EntityOut:
        props = {
            prop: [
                ValueOut(
                    value=v.value,
                    agency=v.agency,
                    source_record_id=v.source_record_id,
                    first_seen=v.first_seen,
                    last_seen=v.last_seen,
                    sharing=v.policy,
                    masked=v.masked,
                )
                for v in values
            ]
            for prop, values in sorted(entity.properties.items())
        }
        return cls(
            id=entity.id,
            schema=entity.schema,
            caption=entity.caption,
            agencies=sorted(entity.agencies),
            properties=props,
            withheld=entity.withheld,
            withheld_note=withheld_note(entity.withheld_owners) if entity.withheld else None,
        )


class Page(BaseModel):
    results: list[EntityOut]
    limit: int
    offset: int
    next_offset: int | None


class Me(BaseModel):
    username: str
    agency: str
    roles: list[str]


class AgencyOut(BaseModel):
    code: str
    name: str
    country: str
    kind: str
    groups: list[str]


class AuditOut(BaseModel):
    ok: bool
    rows_checked: int
    broken_seq: int | None
    reason: str


# The largest integer a database column holds (64-bit signed): bigger offsets and cursors
# are refused as invalid input (422) instead of overflowing in the driver.
MAX_INT = 2**62  # below 2**63 - 1 with room for offset + limit

# Field length limits for request bodies (finding 27): a request may not make the server
# store, hash, index and match unbounded text. Ids, one-line fields, free text, list sizes.
ID = 512  # entity ids (agency prefix + local id)
SHORT = 64  # codes, kinds, statuses, agency codes, country codes
LINE = 1_000  # names, titles, subjects, references, scopes
TEXT = 20_000  # notes, message bodies, reasons
MAX_ITEMS = 500  # entries of one list field (subjects, targets, partners, about)
