"""Victim protection and referral: records with consent, referrals, non-punishment.

Victim records are always written victim-sensitive: their values are masked for every role
but victim-support, whoever the audience is. The victim's consent decides only the audience
(own agency, named partners, everyone), never the masking. Recording a victim, referring
and updating a referral need the victim-support role, and read with the caller's own view:
no path here lends a viewer a role it does not hold.
"""

from __future__ import annotations

import dataclasses

from palermo.access.viewer import AccessDenied, Viewer
from palermo.coordination.records import own_entity, set_value, sharing_of
from palermo.ingest.build import write_entity
from palermo.model.sharing import Handling, Sharing
from palermo.model.vocab import check_exploitation_form
from palermo.store.store import Store
from palermo.store.views import Value

CONSENT = ("none", "agency", "partners", "all")
SERVICES = ("shelter", "medical", "psychosocial", "legal-aid", "avrr", "residence-permit", "other")
REFERRAL_STATUSES = ("requested", "accepted", "in-progress", "completed", "declined")
SENSITIVE = frozenset({Handling.VICTIM_SENSITIVE})


def require_victim_support(viewer: Viewer, action: str) -> None:
    """Victim records decide who learns that a person is a victim: only victim-support
    staff, who may read them, may write them."""
    if not viewer.sees_victim_details or viewer.is_system:
        raise AccessDenied(
            f"{viewer.username}@{viewer.agency} may not {action}: needs the victim-support role"
        )


def consent_sharing(consent: str, partners: frozenset[str] = frozenset()) -> Sharing:
    """The audience a victim's consent allows; the victim-sensitive handling always stays.

    none/agency: the owning agency only; partners: the named partner agencies; all: every
    agency. In each audience only victim-support staff read the values.
    """
    if consent not in CONSENT:
        raise ValueError(f"consent: {consent!r} is not one of {', '.join(CONSENT)}")
    if consent == "partners":
        if not partners:
            raise ValueError("partners: consent 'partners' needs at least one partner agency")
        return Sharing(agencies=partners, handling=SENSITIVE)
    if partners:
        raise ValueError(f"partners: consent {consent!r} shares with no partner agency")
    if consent == "all":
        return Sharing.to_all(SENSITIVE)
    return Sharing.owner_only(SENSITIVE)


def _check_partners(store: Store, viewer: Viewer, partners: frozenset[str]) -> None:
    known = {a.code for a in store.agencies()}
    unknown = sorted(p for p in partners if p not in known or p == viewer.agency)
    if unknown:
        raise ValueError(f"partners: {', '.join(unknown)} is not another known agency")


def record_victim(
    store: Store,
    viewer: Viewer,
    person_id: str,
    exploitation_form: str,
    consent: str = "none",
    partners: frozenset[str] = frozenset(),
    protection_needs: list[str] | None = None,
    re_trafficking_risk: str = "medium",
    non_punishment: bool = True,
    exploitation_country: str | None = None,
) -> str:
    require_victim_support(viewer, "record a victim")
    sharing = consent_sharing(consent, partners)
    _check_partners(store, viewer, partners)
    form = check_exploitation_form(exploitation_form)  # the vocabulary cases use too
    props: dict[str, str | list[str]] = {
        "victim": person_id,
        "identificationStatus": "identified",
        "exploitationForm": form,
        "consent": consent,
        "protectionNeeds": protection_needs or [],
        "reTraffickingRisk": re_trafficking_risk,
        "nonPunishment": "true" if non_punishment else "false",
    }
    if exploitation_country:
        props["exploitationCountry"] = exploitation_country
    return write_entity(store, viewer, "VictimRecord", props, sharing, kind="victim")


def refer(store: Store, viewer: Viewer, victim_record_id: str, service: str, provider: str) -> str:
    """A referral shares its victim record's audience and handling."""
    require_victim_support(viewer, "refer a victim")
    if service not in SERVICES:
        raise ValueError(f"service: {service!r} is not one of {', '.join(SERVICES)}")
    record = own_entity(store, viewer, victim_record_id, "VictimRecord")
    return write_entity(
        store,
        viewer,
        "Referral",
        {
            "victimRecord": victim_record_id,
            "serviceType": service,
            "provider": provider,
            "referralStatus": "requested",
        },
        _with_sensitive(sharing_of(record, viewer.agency)),
        kind="referral",
    )


def _with_sensitive(sharing: Sharing) -> Sharing:
    """Records written before consent kept the handling may lack it; a referral never does."""
    return dataclasses.replace(sharing, handling=sharing.handling | SENSITIVE)


def update_referral(store: Store, viewer: Viewer, referral_id: str, status: str) -> None:
    require_victim_support(viewer, "update a referral")
    if status not in REFERRAL_STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(REFERRAL_STATUSES)}")
    referral = own_entity(store, viewer, referral_id, "Referral")
    set_value(store, viewer, referral, "referralStatus", status)


def non_punishment(store: Store, viewer: Viewer, person_id: str) -> bool:
    """True when a victim record the viewer reads unmasked names this person as victim and
    carries the non-punishment flag.

    The flag says the person is a victim, so it is shown only to those who may read that:
    a record whose link or flag is masked for the viewer does not count.
    """
    records = store.referencing(viewer, person_id, schema="VictimRecord")
    return any(
        _readable(r.properties.get("victim", []), person_id)
        and _readable(r.properties.get("nonPunishment", []), "true")
        for r in records
    )


def _readable(values: list[Value], wanted: str) -> bool:
    return any(v.value == wanted and not v.masked for v in values)
