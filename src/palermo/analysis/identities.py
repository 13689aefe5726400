"""Resolved identities for analysis: the viewer's person records cross-referenced.

Analysis runs on identities, not records: three agencies' records of one recruiter are one
node in the link chart, one flow on the route map, one score in the risk table. The
resolver is the identification package's (Splink, Fellegi-Sunter); analysts' judgements
apply when the store's cross-referencing is used (`match.resolution.cross_reference`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from palermo.match.xref import XrefRecord, from_ftm, resolve
from palermo.store.visibility import MASK


def xref_record(entity: Mapping[str, Any]) -> XrefRecord:
    props: Mapping[str, list[str]] = entity.get("properties", {})
    agency = str(entity.get("agency") or "").split(",")[0]
    return from_ftm(str(entity["id"]), agency, lambda p: props.get(p, []), hidden=(MASK,))


def resolve_identities(
    entities: Iterable[Mapping[str, Any]],
    threshold: float = 0.9,
    judgements: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, str]:
    """record id -> identity id for every Person record with a name."""
    records = [r for e in entities if e.get("schema") == "Person" and (r := xref_record(e)).names]
    if len(records) < 2:
        return {r.id: r.id for r in records}
    return resolve(records, judgements, threshold).identity_of()
