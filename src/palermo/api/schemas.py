"""The JSON shapes of the API, as pydantic models so OpenAPI documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def withheld_field() -> Any:
    """The ``withheld`` marker of an analysis answer, the same as the link chart's JSON."""
    return Field(
        default_factory=dict,
        description="Agency to ask -> how many of its records had values left out of this "
        "answer: stated (H0) for purposes other than the one this read declared, or for any "
        "purpose when none was declared (ADR 0051). Empty when nothing was withheld.",
        examples=[{"A1": 2}],
    )


class BrokersOut(BaseModel):
    """``GET /analysis/brokers``: the ranking, and what H0 withheld from it."""

    results: list[dict[str, Any]] = Field(
        description="Persons by betweenness: id, label, betweenness, roles"
    )
    withheld: dict[str, int] = withheld_field()


class RouteCount(BaseModel):
    route: str = Field(examples=["NG -> LY -> IT"])
    flows: int


class NewRoute(RouteCount):
    first_seen: str


class RoutesOut(BaseModel):
    """``GET /analysis/routes``: flows from usable values, and what H0 withheld."""

    flows: int = Field(description="Origin -> transit -> destination flows counted")
    top: list[RouteCount]
    by_form: dict[str, list[RouteCount]] = Field(description="Form of exploitation -> routes")
    countries: dict[str, str] = Field(description="Country code -> name, for the map")
    new: list[NewRoute] | None = Field(
        default=None, description="Routes first seen since `new_since` (null without it)"
    )
    withheld: dict[str, int] = withheld_field()


class HotspotsOut(BaseModel):
    """``GET /analysis/hotspots``: the cells, and what H0 withheld from them."""

    results: list[dict[str, Any]] = Field(
        description="H3 cells: cell, place, lat, lon, count, z, p, significant, boundary"
    )
    withheld: dict[str, int] = withheld_field()


class TrendsOut(BaseModel):
    """``GET /analysis/trends``: the Global Report tables, and what H0 withheld."""

    tables: dict[str, dict[str, int]] = Field(description="Table caption -> category -> count")
    withheld: dict[str, int] = withheld_field()


class RiskOut(BaseModel):
    """``GET /analysis/risk``: the scores with their evidence, and what H0 withheld."""

    results: list[dict[str, Any]] = Field(
        description="Identities by score: identity, label, score, indicators (with the "
        "records behind each), explanation, handling"
    )
    withheld: dict[str, int] = withheld_field()


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
