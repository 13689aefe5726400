"""Cross-referencing as a viewer: read visible persons, resolve, keep judgements, notify.

Judgements are `MatchJudgement` entities written by the analyst's agency (shared with the
other record's agency when it owns it), so they survive re-runs and travel to partners.
A link between two agencies' records raises a hit for both: the running agency sees it in
the result; the other agency gets an `AgencyMessage` naming only its own record and the
running agency - the running agency's record id only if that record is shared with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from palermo.access.viewer import Viewer
from palermo.exchange.messages import send_message
from palermo.ingest.build import write_entity
from palermo.match.xref import (
    CONFIRM,
    REJECT,
    UNSURE,
    Resolution,
    XrefRecord,
    from_ftm,
    resolve,
)
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity
from palermo.store.visibility import MASK

JUDGEMENTS = (CONFIRM, REJECT, UNSURE)


@dataclass(frozen=True)
class Hit:
    left: str
    right: str
    agencies: tuple[str, str]
    probability: float


def record_of(entity: Entity) -> XrefRecord:
    owner = sorted(entity.agencies)[0] if entity.agencies else ""
    return from_ftm(entity.id, owner, entity.values, hidden=(MASK,))


def judge(
    store: Store, viewer: Viewer, left: str, right: str, judgement: str, reason: str = ""
) -> str:
    if judgement not in JUDGEMENTS:
        raise ValueError(f"judgement: {judgement!r} is not one of {', '.join(JUDGEMENTS)}")
    records = [store.entity(viewer, i) for i in (left, right)]
    if any(r is None for r in records):
        raise ValueError("left/right: both records must be visible to you")
    others = {a for r in records if r is not None for a in r.agencies} - {viewer.agency}
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


def judgements(store: Store, viewer: Viewer) -> dict[tuple[str, str], str]:
    """The newest visible judgement per pair."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for j in store.entities(viewer, schema="MatchJudgement", limit=1_000_000):
        left, right, verdict = j.first("left"), j.first("right"), j.first("judgement")
        if not (left and right and verdict):
            continue
        when = max(v.first_seen.isoformat() for v in j.properties["judgement"])
        key = tuple(sorted((left, right)))
        if key not in found or found[key][0] < when:
            found[key] = (when, verdict)  # type: ignore[index]
    return {k: v for k, (_, v) in found.items()}


def cross_reference(
    store: Store, viewer: Viewer, threshold: float = 0.9, notify: bool = True
) -> tuple[Resolution, list[Hit]]:
    viewer.require_data_role("cross-reference")
    people = list(store.export(viewer, schema="Person", batch=5000))
    records = [record_of(p) for p in people if record_of(p).names]
    agency_of = {r.id: r.agency for r in records}
    result = resolve(records, judgements(store, viewer), threshold)
    hits = []
    for link in result.links:
        a, b = agency_of.get(link.left, ""), agency_of.get(link.right, "")
        if (
            a != b
            and (link.probability >= threshold or link.judged == CONFIRM)
            and link.judged != REJECT
        ):
            hits.append(Hit(link.left, link.right, (a, b), link.probability))
    if notify:
        _notify(store, viewer, hits)
    store.audit_event(
        viewer,
        "xref",
        f"{len(records)} records",
        {"identities": len(result.clusters), "hits": len(hits)},
    )
    return result, hits


def _notify(store: Store, viewer: Viewer, hits: list[Hit]) -> None:
    for hit in hits:
        for mine, theirs, other in (
            (hit.left, hit.right, hit.agencies[1]),
            (hit.right, hit.left, hit.agencies[0]),
        ):
            if other == viewer.agency or not other:
                continue
            shared = _shared_with(store, viewer, mine, other)
            body = (
                f"{viewer.agency}'s cross-referencing links your record {theirs} to "
                + (f"its record {mine}." if shared else "a record it holds (not shared).")
                + f" Match probability {hit.probability:.2f}."
            )
            send_message(
                store,
                viewer,
                other,
                "Cross-reference hit",
                body,
                kind="notification",
                about=[theirs],
            )


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
