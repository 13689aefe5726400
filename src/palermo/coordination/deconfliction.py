"""Deconfliction (hit/no-hit) without revealing what either side holds.

For every identifier in a case (document numbers, phones, accounts, vehicles, e-mails,
resolved identities) an agency publishes a *selector*: an HMAC of the normalised identifier
under a key shared by the member network, with only its agency and case reference. Every
node compares its own selectors with the ones it received. Equal hashes are a hit: a
``DeconflictionHit`` naming both agencies and case references is shared with the other
agency, so both learn at once that the other holds something, and nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from palermo.access.viewer import Viewer
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity

# Which property of which schema yields which selector type.
SELECTOR_PROPS: dict[str, tuple[str, ...]] = {
    "document": ("passportNumber", "idNumber", "number:Identification", "documentNumber"),
    "phone": ("phone", "number:Phone"),
    "account": ("iban", "accountNumber"),
    "vehicle": ("registrationNumber:Vehicle",),
    "email": ("email",),
    "identity": ("resolvedIdentity",),
}
DEV_KEY = "palermo-development-deconfliction-key"


def network_key() -> bytes:
    """The member network's shared HMAC key (``$PALERMO_DECONFLICTION_KEY``)."""
    return os.environ.get("PALERMO_DECONFLICTION_KEY", DEV_KEY).encode()


def normalise(kind: str, value: str) -> str:
    if kind == "email":
        return value.strip().lower()
    return re.sub(r"[^0-9A-Z+]", "", value.upper())


def selector_hash(kind: str, value: str, key: bytes | None = None) -> str:
    message = f"{kind}:{normalise(kind, value)}".encode()
    return hmac.new(key or network_key(), message, hashlib.sha256).hexdigest()


def identifiers(entity: Entity) -> set[tuple[str, str]]:
    """(selector type, value) pairs an entity carries."""
    out = set()
    for kind, props in SELECTOR_PROPS.items():
        for spec in props:
            prop, _, schema = spec.partition(":")
            if schema and not _is_a(entity, schema):
                continue
            for value in entity.values(prop):
                if normalise(kind, value):
                    out.add((kind, value))
    return out


def _is_a(entity: Entity, schema: str) -> bool:
    from palermo.model.schemata import model

    found = model.get(entity.schema)
    return found is not None and found.is_a(schema)


def case_identifiers(store: Store, viewer: Viewer, case: Entity) -> set[tuple[str, str]]:
    """Identifiers of a case's subjects and of the entities pointing at them."""
    out: set[tuple[str, str]] = set()
    for subject_id in case.values("subjects"):
        subject = store.entity(viewer, subject_id)
        if subject is not None:
            out |= identifiers(subject)
        for linked in store.referencing(viewer, subject_id):
            if linked.schema in ("Passport", "Identification", "Phone", "Vehicle", "BankAccount"):
                out |= identifiers(linked)
    return out


def publish_case(store: Store, viewer: Viewer, case_id: str, key: bytes | None = None) -> int:
    """Publish the case's selectors to every member; returns how many."""
    case = store.entity(viewer, case_id)
    if case is None:
        raise ValueError(f"case_id: no visible case {case_id!r}")
    reference = case.first("caseNumber") or case.id
    count = 0
    for kind, value in sorted(case_identifiers(store, viewer, case)):
        digest = selector_hash(kind, value, key)
        write_entity(
            store,
            viewer,
            "DeconflictionSelector",
            {
                "selectorHash": digest,
                "selectorType": kind,
                "caseReference": reference,
                "holderAgency": viewer.agency,
            },
            Sharing.to_all(),
            entity_id=f"{viewer.agency.lower()}.sel-{digest[:24]}-{case.id}",
        )
        count += 1
    return count


@dataclass(frozen=True)
class Hit:
    id: str
    selector_type: str
    agencies: tuple[str, ...]
    case_references: tuple[str, ...]


def detect(store: Store, viewer: Viewer) -> list[Hit]:
    """Compare the viewer agency's selectors with everyone else's; record new hits."""
    selectors = store.entities(viewer, schema="DeconflictionSelector", limit=100_000)
    mine: dict[str, list[Entity]] = {}
    theirs: dict[str, list[Entity]] = {}
    for s in selectors:
        target = mine if s.first("holderAgency") == viewer.agency else theirs
        target.setdefault(s.first("selectorHash") or "", []).append(s)
    known = {h.id for h in hits(store, viewer)}
    created = []
    for digest, own in mine.items():
        for other in theirs.get(digest, []):
            hit = _record(store, viewer, digest, own[0], other, known)
            if hit is not None:
                created.append(hit)
                known.add(hit.id)
    return created


def _record(
    store: Store, viewer: Viewer, digest: str, own: Entity, other: Entity, known: set[str]
) -> Hit | None:
    other_agency = other.first("holderAgency") or ""
    agencies = tuple(sorted({viewer.agency, other_agency}))
    refs = tuple(
        sorted(
            {
                f"{viewer.agency}:{own.first('caseReference')}",
                f"{other_agency}:{other.first('caseReference')}",
            }
        )
    )
    hit_id = "hit-" + hashlib.sha1("|".join((digest, *refs)).encode()).hexdigest()[:24]
    if hit_id in known:
        return None
    kind = own.first("selectorType") or ""
    write_entity(
        store,
        viewer,
        "DeconflictionHit",
        {
            "selectorHash": digest,
            "selectorType": kind,
            "agencies": list(agencies),
            "caseReferences": list(refs),
        },
        Sharing.parse(other_agency),
        entity_id=hit_id,
    )
    return Hit(hit_id, kind, agencies, refs)


def hits(store: Store, viewer: Viewer) -> list[Hit]:
    """Hits that involve the viewer's agency (found here or told by the other side)."""
    out = []
    for e in store.entities(viewer, schema="DeconflictionHit", limit=100_000):
        agencies = tuple(sorted(set(e.values("agencies"))))
        if viewer.agency in agencies:
            out.append(
                Hit(
                    e.id,
                    e.first("selectorType") or "",
                    agencies,
                    tuple(sorted(set(e.values("caseReferences")))),
                )
            )
    return out
