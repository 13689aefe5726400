"""The identity review queue: candidate matches an analyst decides (issue 15).

A pair of person records is queued when the resolver is unsure of it: its link probability
lies between REJECT_THRESHOLD (0.5: below it `xref.resolve` does not even ask Splink for
the pair, see `xref.predict`'s floor `min(threshold, 0.5)`) and LINK_THRESHOLD (0.9: the
default of `xref.resolve` and `resolution.cross_reference`, from which a pair is linked), or
when a link stands but is flagged for review (`Link.review`: a shared document reported
stolen or lost, a possible impostor). Pairs whose newest judgement is confirm or reject are
done; an "unsure" judgement keeps the pair queued (the analyst could not decide yet).

The records come from the viewer's analysis workspace (`analysis.service.visible`, read
through `Store.export`), which holds only what the viewer may see, so both sides of every
queued pair are visible to the viewer; the queue also checks it per pair.

Judging goes through `resolution.judge`, the function behind the API's
`POST /api/v1/xref/judgements`. `judge` cannot delete a judgement (judgements are
statements, kept for the ledger), and `resolution.judgements` keeps the newest one per
pair; so undo writes a new "unsure" judgement naming the one it withdraws: the confirmed
or rejected pair goes back to the model's verdict and into the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo.access.viewer import Viewer
from palermo.analysis.identities import owned_accounts, xref_record
from palermo.analysis.service import visible
from palermo.match.resolution import JUDGEMENTS, judge, judgements
from palermo.match.xref import CONFIRM, REJECT, UNSURE, Link, Resolution, reported_documents
from palermo.match.xref import resolve as resolve_records
from palermo.store.store import Store
from palermo.store.viewer_cache import ViewerCache
from palermo.store.visibility import MASK

LINK_THRESHOLD = 0.9
REJECT_THRESHOLD = 0.5
DECIDED = (CONFIRM, REJECT)
UNDO = "undo"
ACTIONS = (*JUDGEMENTS, UNDO)
# Value of a record for the queue's order: in a case first, then a victim, then a notice.
IN_CASE, VICTIM, NOTICE = 3, 2, 1
LIST_LIMIT = 100_000


@dataclass(frozen=True)
class ReviewItem:
    left: str
    right: str
    probability: float
    value: int  # the higher of the two records' values (IN_CASE, VICTIM, NOTICE or 0)
    reasons: tuple[str, ...]  # why it ranks where it does ("in a case", "victim", ...)
    features: dict[str, float] = field(default_factory=dict)  # Splink match weight per field
    evidence: str | None = None  # a shared strong identifier that decided the link
    review: str | None = None  # why a standing link needs an analyst (impostor risk)
    unsure: bool = False  # an analyst already marked it unsure
    labels: tuple[str, str] = ("", "")
    # (property, left values, right values) for every property either side has
    values: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()


def persons_of(entities: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(e["id"]): e for e in entities if e.get("schema") == "Person"}


def resolution(
    store: Store, viewer: Viewer, entities: list[dict[str, Any]] | None = None
) -> tuple[Resolution, dict[tuple[str, str], str], dict[str, Mapping[str, Any]]]:
    """Resolve the viewer's visible person records with every visible judgement applied:
    (resolution, newest judgement per pair, the person entities by id)."""
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


def identities(store: Store, viewer: Viewer) -> dict[str, str]:
    """record id -> identity id, with the analysts' judgements applied."""
    return resolution(store, viewer)[0].identity_of()


def queue(
    store: Store, viewer: Viewer, entities: list[dict[str, Any]] | None = None
) -> list[ReviewItem]:
    """The viewer's review queue, highest value first, then highest probability."""
    viewer.require_data_role("review identities")
    items = entities if entities is not None else visible(store, viewer)
    result, verdicts, persons = resolution(store, viewer, items)
    worth = _values(store, viewer, persons, items)
    queued = [
        _item(link, verdicts.get(_key(link)), persons, worth)
        for link in result.links
        if _queued(link, verdicts.get(_key(link)), persons)
    ]
    queued.sort(key=lambda i: (-i.value, -i.probability, i.left, i.right))
    return queued


def _key(link: Link) -> tuple[str, str]:
    return (min(link.left, link.right), max(link.left, link.right))


def _queued(link: Link, verdict: str | None, persons: Mapping[str, Any]) -> bool:
    if verdict in DECIDED or link.left not in persons or link.right not in persons:
        return False
    return link.review is not None or REJECT_THRESHOLD <= link.probability < LINK_THRESHOLD


def _values(
    store: Store,
    viewer: Viewer,
    persons: Mapping[str, Any],
    entities: list[dict[str, Any]],
) -> dict[str, list[tuple[int, str]]]:
    """record id -> [(value, reason)]: subject of a visible case, a victim in a visible
    VictimRecord whose `victim` value the viewer may read (masked otherwise), subject of a
    visible notice."""
    out: dict[str, list[tuple[int, str]]] = {}

    def mark(ids: Iterable[str], value: int, reason: str) -> None:
        for rid in ids:
            if rid in persons:
                out.setdefault(rid, []).append((value, reason))

    for case in store.entities(viewer, schema="InvestigationCase", limit=LIST_LIMIT):
        mark(case.values("subjects"), IN_CASE, f"in case {case.first('caseNumber') or case.id}")
    for e in entities:
        if e.get("schema") == "VictimRecord":
            mark(e.get("properties", {}).get("victim", []), VICTIM, "victim")
    for notice in store.entities(viewer, schema="Notice", limit=LIST_LIMIT):
        mark(notice.values("subject"), NOTICE, f"{notice.first('noticeType') or ''} notice")
    return out


def _item(
    link: Link,
    verdict: str | None,
    persons: Mapping[str, Mapping[str, Any]],
    worth: Mapping[str, list[tuple[int, str]]],
) -> ReviewItem:
    left, right = persons[link.left], persons[link.right]
    marks = worth.get(link.left, []) + worth.get(link.right, [])
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

