"""Mutual legal assistance requests between countries: evidence, extradition, asset freezing.

A request is shared with the requested country's agency; its status changes are audited
writes; overdue requests yield reminders; the dual-criminality check runs on its facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from palermo.access.viewer import AccessDenied, NotVisible, Role, Viewer
from palermo.coordination import legal
from palermo.coordination.records import set_value, sharing_of
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.model.vocab import check_exploitation_form
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
    # A request goes to exactly one other agency: that agency is its only other party
    # (not "all" or a group, which would share it, and the right to answer, with many).
    if requested_agency == viewer.agency or requested_agency not in {
        a.code for a in store.agencies()
    }:
        raise ValueError(f"requested_agency: {requested_agency!r} is not another member agency")
    check_purposes(facts, "facts.purposes")
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


def check_purposes(facts: legal.Facts, field: str) -> None:
    """Every purpose of the facts is a form of exploitation of the shared vocabulary (the
    one cases and victim records use), so a typo is an error naming the field, not a
    purpose no coded law knows."""
    for purpose in sorted(facts.purposes):
        check_exploitation_form(purpose, field)


# Who may change a request's status: the people who handle legal assistance, not staff who
# only read (victim-support) or administer.
STATUS_ROLES = frozenset({Role.ANALYST, Role.OFFICER, Role.SUPERVISOR})


def set_status(store: Store, viewer: Viewer, request_id: str, status: str) -> None:
    """Record a status change by the requesting agency or by the requested agency.

    Only a ``LegalAssistanceRequest`` is touched, and only by its two parties: the agency
    that created it (its statements carry ``requestType``) changes its own status; the
    agency it was sent to answers with a statement of its own shared back to the creator.
    Anyone else gets 404 (not a request they can see) or 403 (a request, not theirs)."""
    if status not in STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    if not viewer.roles & STATUS_ROLES:
        raise AccessDenied(
            f"{viewer.username}@{viewer.agency} may not change an MLA request: "
            "needs analyst, officer or supervisor"
        )
    request = store.entity(viewer, request_id)
    if request is None or request.schema != "LegalAssistanceRequest":
        raise NotVisible(f"request_id: no visible legal assistance request {request_id!r}")
    owner = creator_of(request)
    if viewer.agency == owner:
        set_value(store, viewer, request, "requestStatus", status)
        return
    if viewer.agency not in requested_agencies(request, owner):
        raise AccessDenied(
            f"request_id: {viewer.agency} is neither the requesting nor the requested agency "
            f"of {request_id}"
        )
    # The requested side answers with its own statement on the same request, shared back.
    answer = Statement(
        request.id,
        request.schema,
        "requestStatus",
        status,
        viewer.agency,
        request.id,
        Sharing.parse(owner),
    )
    own = [v for v in request.properties.get("requestStatus", []) if v.agency == viewer.agency]
    retractions = [
        Statement(
            request.id,
            request.schema,
            "requestStatus",
            v.value,
            viewer.agency,
            v.source_record_id,
            Sharing.from_canonical(v.policy),
        ).retraction()
        for v in own
    ]
    store.write(viewer, [*retractions, answer], action="mla.status", target=request.id)


def creator_of(request: Entity) -> str:
    """The agency that created the request: the one that stated its type."""
    for value in request.properties.get("requestType", []):
        return value.agency
    raise NotVisible(f"request_id: {request.id!r} has no visible creator")


def requested_agencies(request: Entity, owner: str) -> frozenset[str]:
    """The agencies the creator shared the request with (the requested side)."""
    return sharing_of(request, owner).agencies


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
