"""Resolved identities for analysis: the viewer's person records cross-referenced.

Analysis runs on identities, not records: three agencies' records of one recruiter are one
node in the link chart, one flow on the route map, one score in the risk table. The
resolver is the identification package's (Splink, Fellegi-Sunter, strong identifiers
deciding); analysts' judgements apply when the store's cross-referencing is used
(`match.resolution.cross_reference`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from palermo.match.xref import Resolution, XrefRecord, from_ftm, reported_documents, resolve
from palermo.store.visibility import MASK

ACCOUNT_PROPS = ("iban", "accountNumber")


def xref_record(
    entity: Mapping[str, Any], accounts: Mapping[str, tuple[str, ...]] | None = None
) -> XrefRecord:
    props: Mapping[str, list[str]] = entity.get("properties", {})
    agency = str(entity.get("agency") or "").split(",")[0]
    record = from_ftm(str(entity["id"]), agency, lambda p: props.get(p, []), hidden=(MASK,))
    own = (accounts or {}).get(record.id, ())
    if not own:
        return record
    return replace(record, accounts=own)


def owned_accounts(entities: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Person record id -> the numbers of the bank accounts an Ownership says it owns."""
    items = list(entities)
    numbers = {
        str(e["id"]): [
            v for p in ACCOUNT_PROPS for v in e.get("properties", {}).get(p, []) if v != MASK
        ]
        for e in items
        if e.get("schema") == "BankAccount"
    }
    out: dict[str, list[str]] = {}
    for e in items:
        if e.get("schema") != "Ownership":
            continue
        props: Mapping[str, list[str]] = e.get("properties", {})
        for owner in props.get("owner", []):
            for asset in props.get("asset", []):
                out.setdefault(owner, []).extend(numbers.get(asset, []))
    return {k: tuple(dict.fromkeys(re.sub(r"\s", "", n) for n in v)) for k, v in out.items()}


def resolve_identities(
    entities: Iterable[Mapping[str, Any]],
    threshold: float = 0.9,
    judgements: Mapping[tuple[str, str], str] | None = None,
) -> dict[str, str]:
    """record id -> identity id for every Person record with a name."""
    return resolution_of(entities, threshold, judgements).identity_of()


def resolution_of(
    entities: Iterable[Mapping[str, Any]],
    threshold: float = 0.9,
    judgements: Mapping[tuple[str, str], str] | None = None,
) -> Resolution:
    """`resolve_identities` with the links that made them (what a purpose's identities
    weigh again without its withheld values, `analysis.purpose_identities`). A single
    record is its own identity, named by its id."""
    items = list(entities)
    accounts = owned_accounts(items)
    records = [
        r for e in items if e.get("schema") == "Person" and (r := xref_record(e, accounts)).names
    ]
    if len(records) < 2:
        return _singles(records)
    reported = reported_documents(items, hidden=(MASK,))
    return resolve(records, judgements, threshold, reported=reported)


class _Singles(Resolution):
    """Records left alone, each named by its own id."""

    def identity_of(self) -> dict[str, str]:
        return {m: m for members in self.clusters for m in members}


def _singles(records: Iterable[XrefRecord]) -> Resolution:
    return _Singles([], [[r.id] for r in records])
