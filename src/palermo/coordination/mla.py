"""Mutual legal assistance requests between countries: evidence, extradition, asset freezing.

A request is shared with the requested country's agency; its status changes are audited
writes; overdue requests yield reminders; the dual-criminality check runs on its facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from palermo.access.viewer import Viewer
from palermo.coordination import legal
from palermo.coordination.records import own_entity, set_value
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity

TYPES = ("evidence", "extradition", "asset-freezing", "witness-hearing", "service-of-documents")
STATUSES = ("draft", "sent", "received", "in-progress", "executed", "refused", "withdrawn")
OPEN = ("draft", "sent", "received", "in-progress")


@dataclass(frozen=True)
class Reminder:
    request_id: str
    reference: str
    deadline: str
    days_overdue: int


def create_request(
    store: Store,
    viewer: Viewer,
    reference: str,
    requesting_country: str,
    requested_country: str,
    requested_agency: str,
    request_type: str,
    legal_basis: str,
    deadline: date,
    facts: legal.Facts,
    case_id: str | None = None,
) -> str:
    if request_type not in TYPES:
        raise ValueError(f"request_type: {request_type!r} is not one of {', '.join(TYPES)}")
    props: dict[str, str | list[str]] = {
        "reference": reference,
        "requestingCountry": requesting_country,
        "requestedCountry": requested_country,
        "requestType": request_type,
        "legalBasis": legal_basis,
        "deadline": deadline.isoformat(),
        "requestStatus": "sent",
        "factsAct": sorted(facts.acts),
        "factsMeans": sorted(facts.means),
        "factsPurpose": sorted(facts.purposes),
        "factsVictimMinor": "" if facts.victim_age is None else str(facts.victim_age),
    }
    if case_id:
        props["case"] = case_id
    return write_entity(
        store, viewer, "LegalAssistanceRequest", props, Sharing.parse(requested_agency), kind="mla"
    )


def set_status(store: Store, viewer: Viewer, request_id: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    request = store.entity(viewer, request_id)
    if request is None:
        raise ValueError(f"request_id: no visible request {request_id!r}")
    if viewer.agency in request.agencies:
        set_value(
            store,
            viewer,
            own_entity(store, viewer, request_id, request.schema),
            "requestStatus",
            status,
        )
        return
    # The requested side answers with its own statement on the same request, shared back.
    owner = next(iter(request.agencies))
    write_entity(
        store,
        viewer,
        "LegalAssistanceRequest",
        {"requestStatus": status},
        Sharing.parse(owner),
        entity_id=request_id,
    )


def status_of(request: Entity) -> str:
    """The most advanced status either side recorded."""
    values = request.values("requestStatus")
    return max(values, key=STATUSES.index) if values else "draft"


def facts_of(request: Entity) -> legal.Facts:
    age = request.first("factsVictimMinor")
    return legal.Facts(
        frozenset(request.values("factsAct")),
        frozenset(request.values("factsMeans")),
        frozenset(request.values("factsPurpose")),
        int(float(age)) if age else None,
    )


def check_dual_criminality(request: Entity) -> tuple[bool, list[legal.Finding]]:
    return legal.dual_criminality(
        facts_of(request),
        (request.first("requestingCountry") or "").upper(),
        (request.first("requestedCountry") or "").upper(),
    )


def reminders(store: Store, viewer: Viewer, today: date) -> list[Reminder]:
    out = []
    for request in store.entities(viewer, schema="LegalAssistanceRequest", limit=10_000):
        deadline = request.first("deadline")
        if deadline and status_of(request) in OPEN and deadline < today.isoformat():
            days = (today - date.fromisoformat(deadline[:10])).days
            out.append(Reminder(request.id, request.first("reference") or "", deadline, days))
    return sorted(out, key=lambda r: -r.days_overdue)
