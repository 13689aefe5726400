"""The identity review queue: candidate matches an analyst decides (issue 15, ADR 0046).

A pair of person records is queued when the resolver is unsure of it: its link probability
lies between REJECT_THRESHOLD (0.5: below it the resolver does not even ask Splink for the
pair, see `xref.predict`'s floor `min(threshold, 0.5)`) and the view's merge threshold
(LINK_THRESHOLD, 0.9, the cross-referencing row of the thresholds-per-use table in
docs/identification.md), or when a link stands but is flagged for review (`Link.review`: a
shared document reported stolen or lost, a possible impostor). Pairs whose newest judgement
is confirm or reject are done; an "unsure" judgement keeps the pair queued.

Where the pairs come from. A view that was resolved (it has a ledger, `match.ledger`) is
reviewed from the ledger: the pairs its resolver scored, kept beside its identities
(`match.ledger_pairs`, written by every batch run and every arrival), so the queue holds the
same pairs as the ledger at once after an arrival, without a batch run, and each side is
shown with its identity as the analysis has it (`ledger.visible_membership` with the
judgements laid over, `analysis.ledger_identities`). Only a view never resolved resolves its
visible records in batch here, as before the ledger.

Access. Ledger pairs are kept only between records of the view's membership as the viewer
reads it now (`ledger.visible_membership`, the store's visibility rule in its query), and
both records are read again through the store as the viewer; batch pairs come from the
viewer's workspace (`analysis.service.visible`). The queue checks both sides per pair
either way.

Order: what most needs an analyst first (ADR 0046). A confirm joins, and a reject parts, the
two records' whole identities, so a pair ranks by the highest value among the records of
both identities: one in a visible case (IN_CASE), a victim the viewer may know as one
(VICTIM), a notice subject (NOTICE). At equal value, a flagged standing link first (a
possible impostor is in every chart now), then pairs whose records are in two identities
(a decision changes what analyses show) before pairs already joined through other records,
then the more probable pair.

Judging goes through `resolution.judge`, the function behind the API's
`POST /api/v1/xref/judgements`; the ledger's readers lay the newest judgements over the
identities (ADR 0036), so the queue and the analyses show a decision at once. `judge`
cannot delete a judgement (judgements are statements, kept for the ledger), and
`resolution.judgements` keeps the newest one per pair; so undo writes a new "unsure"
judgement naming the one it withdraws: the pair goes back to the model's verdict and into
the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo.access.viewer import Viewer
from palermo.analysis.identities import owned_accounts, xref_record
from palermo.analysis.ledger_identities import apply_verdicts
from palermo.analysis.service import visible
from palermo.match import ledger, ledger_pairs
from palermo.match.resolution import JUDGEMENTS, judge, judgements
from palermo.match.xref import CONFIRM, REJECT, UNSURE, Link, Resolution, reported_documents
from palermo.match.xref import resolve as resolve_records
from palermo.store.purpose_view import UNDECLARED, entity_for_purpose
from palermo.store.store import Store
from palermo.store.viewer_cache import ViewerCache
from palermo.store.views import Entity
from palermo.store.visibility import MASK

LINK_THRESHOLD = 0.9
REJECT_THRESHOLD = 0.5
DECIDED = (CONFIRM, REJECT)
UNDO = "undo"
ACTIONS = (*JUDGEMENTS, UNDO)
# Value of a record for the queue's order: in a case first, then a victim, then a notice.
IN_CASE, VICTIM, NOTICE = 3, 2, 1
LIST_LIMIT = 100_000
LEDGER, BATCH = "ledger", "batch"


@dataclass(frozen=True)
class ReviewItem:
    left: str
    right: str
    probability: float
    value: int  # the highest value among both identities' records (IN_CASE ... or 0)
    reasons: tuple[str, ...]  # why it ranks where it does ("in case X", "victim", ...)
    features: dict[str, float] = field(default_factory=dict)  # Splink match weight per field
    evidence: str | None = None  # a shared strong identifier that decided the link
    review: str | None = None  # why a standing link needs an analyst (impostor risk)
    unsure: bool = False  # an analyst already marked it unsure
    labels: tuple[str, str] = ("", "")
    # (property, left values, right values) for every property either side has
    values: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    identities: tuple[str, str] = ("", "")  # each side's identity as the analyses show it
    source: str = BATCH  # LEDGER: the view's ledger pairs; BATCH: resolved for this list

    @property
    def joined(self) -> bool:
        """Both records are one identity now (through other records or a flagged link)."""
        return self.identities[0] == self.identities[1] != ""


def persons_of(entities: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(e["id"]): e for e in entities if e.get("schema") == "Person"}


def resolution(
    store: Store, viewer: Viewer, entities: list[dict[str, Any]] | None = None
) -> tuple[Resolution, dict[tuple[str, str], str], dict[str, Mapping[str, Any]]]:
    """Resolve the viewer's visible person records in batch with every visible judgement
    applied: (resolution, newest judgement per pair, the person entities by id). Used only
    for a view that has no ledger."""
    viewer.require_data_role("review identities")
    items = entities if entities is not None else visible(store, viewer)
    accounts = owned_accounts(items)
    persons = persons_of(items)
    records = [r for e in persons.values() if (r := xref_record(e, accounts)).names]
    verdicts = judgements(store, viewer)
    if len(records) < 2:
        return Resolution([], [[r.id] for r in records]), verdicts, persons
    reported = reported_documents(items, hidden=(MASK,))
    result = resolve_records(records, verdicts, LINK_THRESHOLD, reported=reported)
    return result, verdicts, persons


def ledger_identities(
    store: Store, viewer: Viewer, verdicts: Mapping[tuple[str, str], str] | None = None
) -> dict[str, str] | None:
    """record id -> identity id from the view's ledger as the analyses see it (records
    the viewer reads, split where joined only through one it no longer reads, judgements
    laid over); None when the view has no ledger."""
    membership = ledger.visible_membership(store, viewer)
    if membership is None:
        return None
    return apply_verdicts(membership, judgements(store, viewer) if verdicts is None else verdicts)


def identities(store: Store, viewer: Viewer) -> dict[str, str]:
    """record id -> identity id, with the analysts' judgements applied: the ledger's when
    the view has one, else a batch resolution of what the viewer sees."""
    viewer.require_data_role("review identities")
    found = ledger_identities(store, viewer)
    return found if found is not None else resolution(store, viewer)[0].identity_of()


def queue(store: Store, viewer: Viewer) -> list[ReviewItem]:
    """The viewer's review queue, what most needs an analyst first (see the module
    docstring): from the view's ledger, or resolved in batch for a view without one."""
    viewer.require_data_role("review identities")
    found = _ledger_queue(store, viewer)
    return found if found is not None else _batch_queue(store, viewer)


def _ledger_queue(store: Store, viewer: Viewer) -> list[ReviewItem] | None:
    membership = ledger.visible_membership(store, viewer)
    if membership is None:
        return None
    verdicts = judgements(store, viewer)
    identity_of = apply_verdicts(membership, verdicts)
    links = ledger_pairs.uncertain(store, ledger.scope_of(viewer), identity_of)
    ids = sorted({r for lk in links for r in (lk.left, lk.right)})
    read = store.entities(viewer, ids=ids, limit=len(ids)) if ids else []
    persons = persons_of(e.to_ftm() for e in read)
    victims = [e.to_ftm() for e in store.entities(viewer, schema="VictimRecord", limit=LIST_LIMIT)]
    worth = _values(store, viewer, set(identity_of), victims)
    return _items(links, verdicts, persons, worth, identity_of, LEDGER)


def _batch_queue(store: Store, viewer: Viewer) -> list[ReviewItem]:
    items = visible(store, viewer)
    result, verdicts, persons = resolution(store, viewer, items)
    worth = _values(store, viewer, set(persons), items)
    identity_of = apply_verdicts(result.identity_of(), verdicts)
    return _items(result.links, verdicts, persons, worth, identity_of, BATCH)


def _items(
    links: Iterable[Link],
    verdicts: Mapping[tuple[str, str], str],
    persons: Mapping[str, Mapping[str, Any]],
    worth: Mapping[str, list[tuple[int, str]]],
    identity_of: Mapping[str, str],
    source: str,
) -> list[ReviewItem]:
    members: dict[str, list[str]] = {}
    for record, identity in identity_of.items():
        members.setdefault(identity, []).append(record)
    queued = [
        _item(link, verdicts.get(_key(link)), persons, worth, identity_of, members, source)
        for link in links
        if _queued(link, verdicts.get(_key(link)), persons)
    ]
    queued.sort(key=_order)
    return queued


def _order(item: ReviewItem) -> tuple[Any, ...]:
    """Highest value first; then a flagged standing link; then a pair across two
    identities; then the more probable (ADR 0046)."""
    return (
        -item.value,
        item.review is None,
        item.joined,
        -item.probability,
        item.left,
        item.right,
    )


def _key(link: Link) -> tuple[str, str]:
    return (min(link.left, link.right), max(link.left, link.right))


def _queued(link: Link, verdict: str | None, persons: Mapping[str, Any]) -> bool:
    if verdict in DECIDED or link.left not in persons or link.right not in persons:
        return False
    return link.review is not None or REJECT_THRESHOLD <= link.probability < LINK_THRESHOLD


def _values(
    store: Store,
    viewer: Viewer,
    persons: set[str],
    entities: Iterable[Mapping[str, Any]],
) -> dict[str, list[tuple[int, str]]]:
    """record id -> [(value, reason)]: subject of a visible case, a victim in a visible
    VictimRecord (among `entities`) whose `victim` value the viewer may read (masked
    otherwise), subject of a visible notice."""
    out: dict[str, list[tuple[int, str]]] = {}

    def mark(ids: Iterable[str], value: int, reason: str) -> None:
        for rid in ids:
            if rid in persons:
                out.setdefault(rid, []).append((value, reason))

    for case in store.entities(viewer, schema="InvestigationCase", limit=LIST_LIMIT):
        number = _quotable(case, viewer).first("caseNumber")
        mark(case.values("subjects"), IN_CASE, f"in case {number or case.id}")
    for e in entities:
        if e.get("schema") == "VictimRecord":
            mark(e.get("properties", {}).get("victim", []), VICTIM, "victim")
    for notice in store.entities(viewer, schema="Notice", limit=LIST_LIMIT):
        kind = _quotable(notice, viewer).first("noticeType")
        mark(notice.values("subject"), NOTICE, f"{kind or ''} notice")
    return out


def _quotable(entity: Entity, viewer: Viewer) -> Entity:
    """``entity`` with only the values a reason may quote whatever the purpose of the read
    that shows it: the queue is cached per viewer, not per purpose, so a value another
    agency stated (H0) for some purpose is left out (the case's id stands in), ADR 0051."""
    return entity_for_purpose(entity, viewer, UNDECLARED)


def _item(
    link: Link,
    verdict: str | None,
    persons: Mapping[str, Mapping[str, Any]],
    worth: Mapping[str, list[tuple[int, str]]],
    identity_of: Mapping[str, str],
    members: Mapping[str, list[str]],
    source: str,
) -> ReviewItem:
    left, right = persons[link.left], persons[link.right]
    sides = (identity_of.get(link.left, link.left), identity_of.get(link.right, link.right))
    records = {r for side in sides for r in members.get(side, [])} | {link.left, link.right}
    marks = [m for r in sorted(records) for m in worth.get(r, [])]
    return ReviewItem(
        link.left,
        link.right,
        link.probability,
        max((v for v, _ in marks), default=0),
        tuple(dict.fromkeys(r.strip() for _, r in sorted(marks, reverse=True))),
        dict(link.weights),
        link.evidence,
        link.review,
        verdict == UNSURE,
        (_label(left), _label(right)),
        side_by_side(left, right),
        sides,
        source,
    )


def _label(entity: Mapping[str, Any]) -> str:
    names = [n for n in entity.get("properties", {}).get("name", []) if n != MASK]
    return names[0] if names else str(entity["id"])


def side_by_side(
    left: Mapping[str, Any], right: Mapping[str, Any]
) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """Both records' visible values per property (masked values stay masked)."""
    lp: Mapping[str, list[str]] = left.get("properties", {})
    rp: Mapping[str, list[str]] = right.get("properties", {})
    props = sorted(set(lp) | set(rp))
    return tuple((p, tuple(lp.get(p, [])), tuple(rp.get(p, []))) for p in props)


def decide(
    store: Store, viewer: Viewer, left: str, right: str, action: str, reason: str = ""
) -> str:
    """Confirm, reject or mark unsure a pair, or undo its standing decision; returns the
    id of the judgement written. Undo is a new "unsure" judgement that supersedes the
    confirm/reject (judgements are never deleted: they are the ledger)."""
    if action not in ACTIONS:
        raise ValueError(f"judgement: {action!r} is not one of {', '.join(ACTIONS)}")
    if not left or not right or left == right:
        raise ValueError("left/right: two different record ids are needed")
    if action != UNDO:
        return judge(store, viewer, left, right, action, reason)
    previous = judgements(store, viewer).get((min(left, right), max(left, right)))
    if previous not in DECIDED:
        raise ValueError("judgement: undo needs a confirmed or rejected pair; this one has none")
    note = f"undo of {previous}" + (f": {reason}" if reason else "")
    return judge(store, viewer, left, right, UNSURE, note)


class ReviewCache(ViewerCache[list[ReviewItem]]):
    """Review queues per viewer, dropped on every write (a judgement is a write)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, lambda v: queue(store, v), "review identities")
