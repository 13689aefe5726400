"""Fuzzy hit/no-hit between nodes on encoded persons (PPRL), with deconfliction's notice.

An agency publishes a `Publication`: one keyed encoding (`match.pprl`) per person it holds,
built from values it owns and reads unmasked only, each under an opaque reference (a keyed
digest of its own entity id) so no id travels. Fewer than `MIN_PUBLICATION` persons are
refused: a publication of one person is a targeted question in disguise. The peer node
compares the publication with its own agency's encodings (`screen`), records each match as
an owner-only
`DeconflictionHit` for its own agency (the other agency, "person (fuzzy)", its own person
record) and returns the matched references of the publisher, who records its side
(`acknowledge`). Neither learns the other's record, name or id; third agencies learn
nothing; every publication, screening and hit is audited. A peer may have a publication
screened at most once per `MIN_INTERVAL` (guessing costs time). See docs/trust.md,
"Privacy-preserving hit/no-hit", and ADR 0017.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from palermo.access.viewer import Role, Viewer
from palermo.coordination import hit_notices
from palermo.coordination.deconfliction import Hit
from palermo.coordination.hit_notices import HitRef
from palermo.ingest.build import build
from palermo.match import pprl
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity
from palermo.store.visibility import MASK

MIN_PUBLICATION = 50  # persons; fewer are refused
MAX_PUBLICATION = 100_000  # encodings a peer may send in one publication
MIN_INTERVAL = 60.0  # seconds between two screenings of one peer agency's publications
SERVICE_USER = "pprl"  # the node, recording a hit for the agency it concerns
SELECTOR_TYPE = "person (fuzzy)"
NOTICE_CHANNEL = "deconfliction"  # hit notices (ADR 0018): a fuzzy deconfliction hit


class RateLimited(Exception):
    """A peer asked for screenings more often than `MIN_INTERVAL` allows."""


@dataclass(frozen=True)
class Published:
    ref: str  # keyed digest of the publisher's entity id: opaque to everyone else
    encoding: pprl.Encoding


@dataclass(frozen=True)
class Publication:
    federation: str
    agency: str
    entries: tuple[Published, ...]

    def to_wire(self) -> dict[str, object]:
        return {
            "federation": self.federation,
            "agency": self.agency,
            "entries": [[e.ref, e.encoding.to_wire()] for e in self.entries],
        }

    @classmethod
    def from_wire(cls, data: object) -> Publication:
        """A received publication, checked field by field (one-line errors)."""
        if not isinstance(data, dict):
            raise ValueError("publication: a JSON object is expected")
        federation, agency, entries = (
            data.get("federation"),
            data.get("agency"),
            data.get("entries"),
        )
        if not isinstance(federation, str) or not isinstance(agency, str) or not agency:
            raise ValueError("publication: federation and agency must be strings")
        if not isinstance(entries, list):
            raise ValueError("entries: a list of [reference, encoding] pairs is expected")
        if len(entries) > MAX_PUBLICATION:
            raise ValueError(f"entries: {len(entries)} encodings, at most {MAX_PUBLICATION}")
        out = []
        for i, entry in enumerate(entries):
            if not (
                isinstance(entry, list)
                and len(entry) == 2
                and all(isinstance(x, str) for x in entry)
            ):
                raise ValueError(f"entries[{i}]: a [reference, encoding] pair is expected")
            out.append(Published(entry[0], pprl.Encoding.from_wire(entry[1])))
        return cls(federation, agency, tuple(out))


# --- what an agency may publish ---------------------------------------------------------


def person_values(entity: Entity, agency: str) -> tuple[list[str], list[str]]:
    """(names, birth dates) of a person that the agency owns and reads unmasked: a masked
    value is never encoded, and values other agencies shared with it are not its to publish."""

    def own(prop: str) -> list[str]:
        return [
            v.value
            for v in entity.properties.get(prop, [])
            if v.agency == agency and not v.masked and v.value != MASK
        ]

    return own("name") + own("alias"), own("birthDate")


def reference(key: pprl.FederationKey, agency: str, entity_id: str) -> str:
    return key.digest("person", agency, entity_id)


def own_persons(store: Store, viewer: Viewer) -> dict[str, tuple[str, list[str], list[str]]]:
    """reference -> (entity id, names, birth dates) of the persons the agency may publish."""
    out = {}
    for entity in store.export(viewer, schema="Person"):
        names, dates = person_values(entity, viewer.agency)
        if names:
            out[entity.id] = (entity.id, names, dates)
    return out


def publish(
    store: Store, viewer: Viewer, key: pprl.FederationKey, min_size: int = MIN_PUBLICATION
) -> Publication:
    """The agency's encoded persons; refused (ValueError) below ``min_size`` persons."""
    viewer.require_data_role("publish encoded persons")
    entries, skipped = [], 0
    for eid, names, dates in own_persons(store, viewer).values():
        try:
            encoding = pprl.encode(key, names, dates)
        except ValueError:  # no letters in any name (a number typed as a name), a bad date
            skipped += 1
            continue
        entries.append(Published(reference(key, viewer.agency, eid), encoding))
    if len(entries) < min_size:
        detail = {"persons": len(entries), "minimum": min_size}
        store.audit_event(viewer, "pprl.refused", viewer.agency, detail)
        raise ValueError(
            f"publication: {len(entries)} persons, at least {min_size} are needed "
            "(a small publication asks about a few chosen persons)"
        )
    entries.sort(key=lambda e: e.ref)
    detail = {"persons": len(entries), "skipped": skipped}
    store.audit_event(viewer, "pprl.publish", viewer.agency, detail)
    return Publication(key.federation, viewer.agency, tuple(entries))


# --- matching and notices ---------------------------------------------------------------


def matches(
    mine: Sequence[Published], theirs: Sequence[Published], threshold: float = pprl.THRESHOLD
) -> list[tuple[str, str]]:
    """(my reference, their reference) of every pair at or above the threshold."""
    stack = pprl.Stack.of([b.encoding for b in theirs])
    found = []
    for a in mine:
        for j in np.flatnonzero(pprl.scores(a.encoding, stack) >= threshold):
            found.append((a.ref, theirs[int(j)].ref))
    return found


_last: dict[tuple[int, str, str], float] = {}
_lock = threading.Lock()


def _throttle(store: Store, agency: str, peer_agency: str) -> None:
    now = time.monotonic()
    slot = (id(store), agency, peer_agency)
    with _lock:
        last = _last.get(slot)
        if last is not None and now - last < MIN_INTERVAL:
            raise RateLimited(
                f"rate: one screening of {peer_agency}'s publication per {MIN_INTERVAL:.0f} s"
            )
        _last[slot] = now


def screen(
    store: Store,
    viewer: Viewer,
    key: pprl.FederationKey,
    theirs: Publication,
    threshold: float = pprl.THRESHOLD,
) -> tuple[list[Hit], list[str]]:
    """Compare a peer agency's publication with our agency's persons: record our side's
    hits and return them with the peer's matched references (to send back to it)."""
    if theirs.federation != key.federation:
        raise ValueError(f"federation: {theirs.federation!r} is not {key.federation!r}")
    if theirs.agency == viewer.agency:
        raise ValueError("agency: a publication is screened by the other agencies")
    if len(theirs.entries) < MIN_PUBLICATION:
        raise ValueError(f"entries: {len(theirs.entries)}, at least {MIN_PUBLICATION} are needed")
    _throttle(store, viewer.agency, theirs.agency)
    mine = publish(store, viewer, key, min_size=0)
    found = matches(mine.entries, theirs.entries, threshold)
    detail = {"offered": len(theirs.entries), "held": len(mine.entries), "hits": len(found)}
    store.audit_event(viewer, "pprl.screen", theirs.agency, detail)
    hits = record(store, viewer, key, theirs.agency, [m for m, _ in found])
    return hits, sorted({t for _, t in found})


def acknowledge(
    store: Store, viewer: Viewer, key: pprl.FederationKey, peer_agency: str, refs: Iterable[str]
) -> list[Hit]:
    """The publisher's side: record hits for its own references the peer matched
    (unknown references are ignored: they name nothing of ours)."""
    return record(store, viewer, key, peer_agency, list(refs))


def record(
    store: Store, viewer: Viewer, key: pprl.FederationKey, other_agency: str, refs: list[str]
) -> list[Hit]:
    """Owner-only `DeconflictionHit` records, one per own person matched, and for a new one
    a hit notice to the owner (who hit it, with a follow-up clock: ADR 0018); idempotent (the
    same hit again writes nothing new: its id and values are keyed digests and constants)."""
    if not refs:
        return []
    by_ref = {reference(key, viewer.agency, eid): eid for eid in own_persons(store, viewer)}
    service = Viewer(viewer.agency, SERVICE_USER, frozenset({Role.ANALYST}))
    out = []
    for ref in sorted(set(refs)):
        entity_id = by_ref.get(ref)
        if entity_id is None:
            continue
        hit_id = f"{viewer.agency.lower()}.hit-{key.digest('hit', ref, other_agency)[:24]}"
        agencies = tuple(sorted({viewer.agency, other_agency}))
        refs_own = (f"{viewer.agency}:{entity_id}",)
        props: dict[str, str | list[str]] = {
            "selectorType": SELECTOR_TYPE,
            "agencies": list(agencies),
            "otherAgency": other_agency,
            "caseReferences": list(refs_own),
        }
        stmts = build(viewer.agency, hit_id, "DeconflictionHit", props, Sharing.owner_only())
        with store.transaction() as conn:
            new = store.write(service, stmts, action="pprl.hit", target=hit_id, conn=conn)
            if new:  # a new hit: the owner is told who hit its person, with a follow-up clock
                told = [HitRef(entity_id, viewer.agency)]
                hit_notices.notify_in(conn, other_agency, SERVICE_USER, told, NOTICE_CHANNEL)
        out.append(Hit(hit_id, SELECTOR_TYPE, agencies, refs_own, other_agency))
    return out
