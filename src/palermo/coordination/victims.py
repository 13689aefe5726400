"""Victim protection and referral: records with consent, referrals, non-punishment.

Victim records are written victim-sensitive (masked for every role but victim-support)
unless the victim consented to wider sharing. Wherever a person with a non-punishment flag
appears (e.g. as a suspect), `non_punishment` says so.
"""

from __future__ import annotations

from palermo.access.viewer import Viewer
from palermo.coordination.records import own_entity, set_value, sharing_of
from palermo.ingest.build import write_entity
from palermo.model.sharing import Handling, Sharing
from palermo.store.store import Store

CONSENT = ("none", "agency", "partners", "all")
SERVICES = ("shelter", "medical", "psychosocial", "legal-aid", "avrr", "residence-permit", "other")
REFERRAL_STATUSES = ("requested", "accepted", "in-progress", "completed", "declined")


def consent_sharing(consent: str, partners: frozenset[str] = frozenset()) -> Sharing:
    """What a victim's consent allows: none/agency keep it masked and local."""
    if consent not in CONSENT:
        raise ValueError(f"consent: {consent!r} is not one of {', '.join(CONSENT)}")
    if consent == "all":
        return Sharing.to_all()
    if consent == "partners":
        return Sharing(agencies=partners)
    return Sharing(agencies=partners, handling=frozenset({Handling.VICTIM_SENSITIVE}))


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
    props: dict[str, str | list[str]] = {
        "victim": person_id,
        "identificationStatus": "identified",
        "exploitationForm": exploitation_form,
        "consent": consent,
        "protectionNeeds": protection_needs or [],
        "reTraffickingRisk": re_trafficking_risk,
        "nonPunishment": "true" if non_punishment else "false",
    }
    if exploitation_country:
        props["exploitationCountry"] = exploitation_country
    return write_entity(
        store, viewer, "VictimRecord", props, consent_sharing(consent, partners), kind="victim"
    )


def refer(store: Store, viewer: Viewer, victim_record_id: str, service: str, provider: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"service: {service!r} is not one of {', '.join(SERVICES)}")
    record = own_entity(store, viewer.with_victim_details(), victim_record_id, "VictimRecord")
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
        sharing_of(record, viewer.agency),
        kind="referral",
    )


def update_referral(store: Store, viewer: Viewer, referral_id: str, status: str) -> None:
    if status not in REFERRAL_STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(REFERRAL_STATUSES)}")
    referral = own_entity(store, viewer.with_victim_details(), referral_id, "Referral")
    set_value(store, viewer, referral, "referralStatus", status)


def non_punishment(store: Store, viewer: Viewer, person_id: str) -> bool:
    """True when a visible victim record of this person carries the non-punishment flag.

    The flag is read with victim details so that it shows for every role (the record's
    other details stay masked); it is a protection, not a detail about the victim.
    """
    records = store.referencing(viewer.with_victim_details(), person_id, schema="VictimRecord")
    return any("true" in r.values("nonPunishment") for r in records)
