"""Cross-referencing as a viewer: read visible persons, resolve, keep judgements, notify.

Judgements are `MatchJudgement` entities written by the analyst's agency (shared with the
other record's agency when it owns it), so they survive re-runs and travel to partners.
A link between two agencies' records raises a hit; the running agency sees every hit in the
result. Only a hit between one of the running agency's own records and another agency's
record is messaged, to that agency, once per pair: an `AgencyMessage` naming only its own
record and the running agency - the running agency's record id only if that record is
shared with it. Hits resting on victim-sensitive values are never messaged.

Each hit and each resolved identity carries the merged marking (`model.handling_merge`) of
its records: a link resting on an H1 record is not for court either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.exchange.messages import send_message
from palermo.ingest.build import write_entity
from palermo.match.judgement_lookup import newest
from palermo.match.xref import (
    CONFIRM,
    REJECT,
    UNSURE,
    Resolution,
    XrefRecord,
    from_ftm,
    reported_documents,
    resolve,
)
from palermo.match.xref_threshold import XREF_THRESHOLD
from palermo.model.handling_merge import Marking, merge, merge_groups
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement, utcnow
from palermo.store.entity_marking import entity_marking
from palermo.store.store import Store
from palermo.store.views import Entity
from palermo.store.visibility import MASK, visible_statements

JUDGEMENTS = (CONFIRM, REJECT, UNSURE)
XREF_SUBJECT = "Cross-reference hit"
XREF_MARK = "xref-notified:"
MARK_PROP = "recordId"  # the owner-only statement on a sent hit message naming its pair
# the Person properties `record_of` hands to the resolver (`match.xref.from_ftm`)
COMPARED = (
    "name",
    "alias",
    "firstName",
    "middleName",
    "secondName",
    "fatherName",
    "lastName",
    "birthDate",
    "birthPlace",
    "nationality",
    "citizenship",
    "gender",
    "passportNumber",
    "idNumber",
    "taxNumber",
    "innCode",
    "vatCode",
    "socialSecurityNumber",
    "address",
    "addressFull",
    "phone",
    "email",
    "position",
    "occupation",
    "profession",
)


@dataclass(frozen=True)
class Hit:
    left: str
    right: str
    agencies: tuple[str, str]
    probability: float
    evidence: str | None = None  # the shared strong identifier that decided the link
    review: str | None = None  # why an analyst should look although it stands (impostor)
    handling: str = ""  # marking text of both records, merged


def record_of(entity: Entity) -> XrefRecord:
    owner = sorted(entity.agencies)[0] if entity.agencies else ""
    return from_ftm(entity.id, owner, entity.values, hidden=(MASK,))


def resolved_markings(
    people: Mapping[str, Entity], identity_of: Mapping[str, str]
) -> dict[str, Marking]:
    """identity id -> the merged marking of all its records (the identity is never
    handled more loosely than any record resolved into it)."""
    return merge_groups({r: entity_marking(e) for r, e in people.items()}, identity_of)


def judge(
    store: Store, viewer: Viewer, left: str, right: str, judgement: str, reason: str = ""
) -> str:
    if judgement not in JUDGEMENTS:
        raise ValueError(f"judgement: {judgement!r} is not one of {', '.join(JUDGEMENTS)}")
    records = [store.entity(viewer, i) for i in (left, right)]
    if any(r is None for r in records):
        raise ValueError("left/right: both records must be visible to you")
    others = {a for r in records if r is not None for a in r.agencies} - {viewer.agency}
    _after_newest_judgement(store, viewer, left, right)
    return write_entity(
        store,
        viewer,
        "MatchJudgement",
        {
            "left": left,
            "right": right,
            "judgement": judgement,
            "analyst": f"{viewer.username}@{viewer.agency}",
            "reason": reason,
        },
        Sharing(agencies=frozenset(others)),
        kind="judgement",
    )


def _after_newest_judgement(store: Store, viewer: Viewer, left: str, right: str) -> None:
    """Wait until the clock has passed the pair's newest judgement.

    `judgements` keeps the judgement with the newest `first_seen`, and statements are
    stamped to the second (`model.statement.utcnow`): a decision written in the same second
    as the one it replaces (a quick undo, from the review page or the API) would tie with it,
    and either could win. Waiting (at most a second) makes the newer one strictly newer."""
    newest = _newest_judgements(store, viewer).get((min(left, right), max(left, right)))
    while newest is not None and utcnow() <= newest[0]:
        time.sleep(0.05)


def judgements(store: Store, viewer: Viewer) -> dict[tuple[str, str], str]:
    """The newest visible judgement per pair."""
    return {pair: verdict for pair, (_, verdict) in _newest_judgements(store, viewer).items()}


def _newest_judgements(store: Store, viewer: Viewer) -> dict[tuple[str, str], tuple[datetime, str]]:
    """Per pair (ids sorted): when its newest visible judgement was made, and its verdict."""
    return newest(store.entities(viewer, schema="MatchJudgement", limit=1_000_000))


def cross_reference(
    store: Store, viewer: Viewer, threshold: float = XREF_THRESHOLD, notify: bool = True
) -> tuple[Resolution, list[Hit]]:
    viewer.require_data_role("cross-reference")
    people = list(store.export(viewer, schema="Person", batch=5000))
    records = [r for p in people if (r := record_of(p)).names]
    agency_of = {r.id: r.agency for r in records}
    reports = [e.to_ftm() for e in store.export(viewer, schema="DocumentReport", batch=5000)]
    result = resolve(
        records, judgements(store, viewer), threshold, reported=reported_documents(reports, (MASK,))
    )
    markings = {p.id: entity_marking(p) for p in people}
    hits = []
    for link in result.links:
        a, b = agency_of.get(link.left, ""), agency_of.get(link.right, "")
        if (
            a != b
            and (link.probability >= threshold or link.judged == CONFIRM)
            and link.judged != REJECT
        ):
            marking = merge(markings.get(i, Marking()) for i in (link.left, link.right))
            hits.append(
                Hit(
                    link.left,
                    link.right,
                    (a, b),
                    link.probability,
                    link.evidence,
                    link.review,
                    marking.text,
                )
            )
    sent = _notify(store, viewer, hits, {p.id: p for p in people}) if notify else 0
    store.audit_event(
        viewer,
        "xref",
        f"{len(records)} records",
        {"identities": len(result.clusters), "hits": len(hits), "notified": sent},
    )
    return result, hits


def _notify(store: Store, viewer: Viewer, hits: list[Hit], people: Mapping[str, Entity]) -> int:
    """Message the other agency of each hit between one of the runner's own records and one
    of that agency's records, once per pair ever; returns how many messages went out.

    A hit between two third parties' records is not the runner's to announce, and a hit
    that rests on victim-sensitive values would tell the recipient's analysts something
    masked for them; neither is messaged. Reruns find the pairs already messaged in the
    runner's own (owner-only) marks on its sent messages.
    """
    done = _notified_pairs(store, viewer)
    sent = 0
    for hit in hits:
        pair = _notifiable(viewer, hit, people)
        if pair is None:
            continue
        mine, theirs, other = pair
        key = _pair_key(mine, theirs)
        if key in done:
            continue
        body = (
            f"{viewer.agency}'s cross-referencing links your record {theirs} to "
            + (
                f"its record {mine}."
                if _shared_with(store, viewer, mine, other)
                else "a record it holds (not shared)."
            )
            + f" Match probability {hit.probability:.2f}."
        )
        message_id = send_message(
            store, viewer, other, XREF_SUBJECT, body, kind="notification", about=[theirs]
        )
        _mark_notified(store, viewer, message_id, key)
        done.add(key)
        sent += 1
    return sent


def _notifiable(
    viewer: Viewer, hit: Hit, people: Mapping[str, Entity]
) -> tuple[str, str, str] | None:
    """(runner's record, recipient's record, recipient) when this hit may be messaged."""
    left, right = people.get(hit.left), people.get(hit.right)
    if left is None or right is None or _sensitive(left) or _sensitive(right):
        return None
    for mine, theirs in ((left, right), (right, left)):
        owners = _owners(theirs)
        if _owners(mine) == {viewer.agency} and len(owners) == 1 and viewer.agency not in owners:
            return mine.id, theirs.id, next(iter(owners))
    return None


def _owners(entity: Entity) -> set[str]:
    """The agencies that created the record (wrote its `id` statement)."""
    return {v.agency for v in entity.properties.get(BASE, [])}


def _sensitive(entity: Entity) -> bool:
    """Does any value the resolver compares carry the victim-sensitive handling code?"""
    return any(
        Sharing.from_canonical(v.policy).victim_sensitive or v.masked
        for prop in COMPARED
        for v in entity.properties.get(prop, [])
    )


def _pair_key(mine: str, theirs: str) -> str:
    return f"{XREF_MARK}{mine}|{theirs}"


def _notified_pairs(store: Store, viewer: Viewer) -> set[str]:
    """Pairs the runner's agency already messaged (its marks on its own messages)."""
    visible = visible_statements(viewer).subquery()
    query = sa.select(visible.c.value).where(
        visible.c.schema == "AgencyMessage",
        visible.c.prop == MARK_PROP,
        visible.c.agency == viewer.agency,
        visible.c.value.startswith(XREF_MARK, autoescape=True),
    )
    with store.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def _mark_notified(store: Store, viewer: Viewer, message_id: str, key: str) -> None:
    """Note the pair on the sent message, readable by the runner's agency only: the
    recipient must not learn the runner's record id from it."""
    mark = Statement(
        message_id, "AgencyMessage", MARK_PROP, key, viewer.agency, message_id, Sharing.owner_only()
    )
    store.write(viewer, [mark], action="xref.notified", target=message_id)


def _shared_with(store: Store, viewer: Viewer, entity_id: str, agency: str) -> bool:
    entity = store.entity(viewer, entity_id)
    if entity is None:
        return False
    groups = next((a.groups for a in store.agencies() if a.code == agency), ())
    for values in entity.properties.values():
        for v in values:
            if v.agency == viewer.agency and Sharing.from_canonical(v.policy).reaches(
                viewer.agency, agency, groups
            ):
                return True
    return False
