"""The identity ledger as an analyst reaches it: one function per action, shared by the API
(`api/ledger_routes.py`), the web page (`web/ledger_page.py`) and the CLI
(`cli/identity.py`), so the three cannot disagree on who may see or undo what.

Authorisation is the ledger's own: a viewer reads and undoes only its view's entries (the
view is `ledger.scope_of`: agency, with or without victim details), so another view's entry
is "not found" (`NotVisible`, a 404), never "forbidden" - its existence is not told. The
records an entry names were visible to the view when it was resolved; sharing can narrow
since, so every record id is read again through the store as the viewer and one it may no
longer see is counted, not named (nor are evidence links touching it). Every action is
audited: the list and an entry (`xref.ledger`, and the store's own read of the records),
a resolve (`xref.batch`, by `incremental.run_batch`), an undo (`xref.undo`, by
`ledger.undo`).

H0 (ADR 0051, amendment "the ledger per purpose"): entries are shown for the purpose the
store is bound to (`Store.for_purpose`; None, the node's own store, shows every value). An
entry whose records were joined only through values withheld from that purpose is held
(`ledger_purpose`): listed with its number, action, actor and time and a marker naming the
agencies to ask, without records or evidence, and not undoable under that purpose; the
others show their evidence without withheld values, and `identity_of` cuts the identity
where a link needed one, as the analyses do (`analysis.purpose_identities`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.match import ledger, ledger_purpose
from palermo.match.identity_lookup import identity_around
from palermo.match.xref_threshold import XREF_THRESHOLD
from palermo.model.handling_merge import Marking
from palermo.model.record_marking import identity_marking, record_markings
from palermo.store.entity_marking import entity_marking
from palermo.store.purpose_view import entity_for_purpose
from palermo.store.store import Store
from palermo.store.views import Entity

MAX_REASON = 1000
MAX_PAGE = 200
MAX_OFFSET = 10**9  # past any ledger; bounds the number the database is handed
MAX_ID = 255  # as long as a stored record id may be


@dataclass(frozen=True)
class Member:
    """A record of an identity the viewer may see now, with its caption (the name)."""

    id: str
    label: str


@dataclass(frozen=True)
class IdentityView:
    """One identity before or after an entry: the records the viewer may see, how many it
    may no longer see, and the merged marking of the records it sees (`model.record_marking`)."""

    id: str
    records: list[Member]
    hidden: int
    handling: str = "|"


@dataclass(frozen=True)
class EntryView:
    seq: int
    at: str
    actor: str
    action: str
    before: list[IdentityView]
    after: list[IdentityView]
    evidence: list[dict[str, Any]]
    model_version: str
    undoes: int | None
    undone_by: int | None
    undoable: bool
    # set when the entry rests on values withheld from the read's purpose (H0): the
    # marker, and the agencies to ask; its records and evidence are then left out
    held: str = ""
    ask: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Resolved:
    """What a resolve run did: records resolved, identities, the ledger entries it wrote."""

    records: int
    identities: int
    model_version: str
    entries: list[int]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit: {limit} is not between 1 and {MAX_PAGE}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"offset: {offset} is not between 0 and {MAX_OFFSET}")


def ledger_page(
    store: Store, viewer: Viewer, limit: int = 20, offset: int = 0
) -> tuple[int, list[EntryView]]:
    """The viewer's view's ledger, newest first: (total entries, this page)."""
    viewer.require_data_role("read the identity ledger")
    check_page(limit, offset)
    scope = ledger.scope_of(viewer)
    total = ledger.count(store, scope)
    found = ledger.entries(store, scope, limit, offset)
    views = _views(store, viewer, found)
    store.audit_event(
        viewer, "xref.ledger", f"{len(views)} entries", {"seqs": [e.seq for e in views]}
    )
    return total, views


def ledger_entry(store: Store, viewer: Viewer, seq: int) -> EntryView:
    """One entry of the viewer's view; another view's entry, or none, is NotVisible."""
    viewer.require_data_role("read the identity ledger")
    found = ledger.entry(store, ledger.scope_of(viewer), seq)
    if found is None:
        raise NotVisible(f"seq: no ledger entry {seq} in your view")
    (view,) = _views(store, viewer, [found])
    store.audit_event(viewer, "xref.ledger", str(seq), {"seqs": [seq]})
    return view


def undo_entry(store: Store, viewer: Viewer, seq: int, reason: str = "") -> EntryView:
    """Undo a merge or split of the viewer's view (`ledger.undo`: the identities as they
    were, a judgement that keeps them so); returns the undo entry. An entry held for the
    store's bound purpose (its records only withheld values joined) is refused
    (AccessDenied, naming whom to ask): what the reader may not see is not acted on."""
    viewer.require_data_role("undo identity changes")
    if len(reason) > MAX_REASON:
        raise ValueError(f"reason: longer than {MAX_REASON} characters")
    found = ledger.entry(store, ledger.scope_of(viewer), seq)
    if found is None:
        raise NotVisible(f"seq: no ledger entry {seq} in your view")
    judged = ledger_purpose.for_purpose(store, viewer, [found], store.read_purpose)
    if judged.marker(seq):  # its records are not shown for the purpose: not acted on either
        raise AccessDenied(f"seq: entry {seq} {judged.marker(seq)}; it cannot be undone")
    done = ledger.undo(store, viewer, seq, reason.strip())
    (view,) = _views(store, viewer, [done])
    return view


def identity_of(store: Store, viewer: Viewer, record_id: str) -> IdentityView:
    """The identity a record belongs to in the viewer's view, exactly as the analyses,
    the profile and the review queue show it (`identity_lookup`: split where it lost a
    record, judgements laid over, ADR 0046), with its records the viewer may see now and
    how many records of the stored identities it is made of the viewer may no longer see.
    A record the viewer may not see, or not resolved in its view, is NotVisible (a 404):
    whether it exists elsewhere is not told. For the store's bound purpose the identity is
    cut where a link needed a value withheld from it (`ledger_purpose.part_for_purpose`):
    the part holding the record, as the analyses' identities for the purpose."""
    viewer.require_data_role("read identities")
    if len(record_id) > MAX_ID:
        raise ValueError(f"record_id: longer than {MAX_ID} characters")
    if store.entity(viewer, record_id, purpose=None) is None:  # a check: every value
        raise NotVisible(f"record_id: no record {record_id!r} in your view")
    found = identity_around(store, viewer, record_id)
    if found is None:
        raise NotVisible(f"record_id: {record_id!r} is not resolved in your view yet")
    members, identity = found.members, found.identity
    visible = store.entities(viewer, ids=members, limit=len(members), purpose=None)
    cut = ledger_purpose.part_for_purpose(
        store, viewer, record_id, members, visible, store.read_purpose
    )
    if cut is not None:  # the part that stands without values withheld from the purpose
        part, whole = cut
        if record_id not in part:
            raise NotVisible(f"record_id: {record_id!r} may not be used for this purpose")
        members, identity = part, identity if whole else part[0]
        visible = [e for e in visible if e.id in part]
    labels = _captions(store, viewer, visible)
    marking = identity_marking(members, record_markings(visible, entity_marking))
    store.audit_event(viewer, "xref.identity", identity, {"record": record_id})
    return IdentityView(
        identity,
        [Member(r, labels[r]) for r in members if r in labels],
        (found.hidden if cut is None else 0) + sum(1 for r in members if r not in labels),
        marking.text,
    )


def resolve(store: Store, viewer: Viewer, threshold: float = XREF_THRESHOLD) -> Resolved:
    """A batch run over everything the viewer may see (`incremental.run_batch`, which
    persists the model and writes a ledger entry per merge and split since the last run)."""
    from palermo.match.incremental import run_batch  # Splink: loaded only when resolving

    viewer.require_data_role("cross-reference")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold: {threshold} is not in (0, 1]")
    scope = ledger.scope_of(viewer)
    before = ledger.count(store, scope)
    resolver = run_batch(store, viewer, threshold)
    written = ledger.count(store, scope) - before
    seqs = [e.seq for e in ledger.entries(store, scope, limit=written)] if written else []
    return Resolved(len(resolver.records), len(resolver.members), resolver.version, sorted(seqs))


def _views(store: Store, viewer: Viewer, found: list[ledger.Entry]) -> list[EntryView]:
    """Entries as the viewer may see them now: records read through the store."""
    ids = sorted(
        {r for e in found for groups in (e.before, e.after) for rs in groups.values() for r in rs}
    )
    labels: dict[str, str] = {}
    markings: dict[str, Marking] = {}
    visible: list[Entity] = []
    if ids:
        visible = store.entities(viewer, ids=ids, limit=len(ids), purpose=None)
        labels = _captions(store, viewer, visible)
        markings = record_markings(visible, entity_marking)
    judged = ledger_purpose.for_purpose(store, viewer, found, store.read_purpose, visible)
    for record in judged.dropped:  # its id is withheld: counted, never named
        labels.pop(record, None)
    return [_view(e, labels, markings, judged) for e in found]


def _captions(store: Store, viewer: Viewer, visible: list[Entity]) -> dict[str, str]:
    """Each record's caption as the store's bound purpose may show it (H0, ADR 0051): a
    name withheld for it falls back to the id, as a search hit's does. The markings are
    still merged over every value (a stricter code of a withheld value is not dropped)."""
    purpose = store.read_purpose
    if purpose is None:
        return {e.id: e.caption for e in visible}
    return {e.id: entity_for_purpose(e, viewer, purpose).caption for e in visible}


def _view(
    entry: ledger.Entry,
    labels: dict[str, str],
    markings: dict[str, Marking],
    judged: ledger_purpose.Judged,
) -> EntryView:
    def identities(groups: ledger.Groups) -> list[IdentityView]:
        return [
            IdentityView(
                identity,
                [Member(r, labels[r]) for r in records if r in labels],
                sum(1 for r in records if r not in labels),
                identity_marking(records, markings).text,
            )
            for identity, records in sorted(groups.items())
        ]

    at = entry.at.isoformat() if isinstance(entry.at, datetime) else str(entry.at)
    held = judged.marker(entry.seq)
    if held:
        return EntryView(
            entry.seq,
            at,
            entry.actor,
            entry.action,
            [],
            [],
            [],
            entry.model_version,
            entry.undoes,
            entry.undone_by,
            False,
            held,
            list(judged.held[entry.seq]),
        )
    shown = judged.evidence.get(entry.seq, entry.evidence)
    evidence = [dict(e) for e in shown if e.get("left") in labels and e.get("right") in labels]
    return EntryView(
        entry.seq,
        at,
        entry.actor,
        entry.action,
        identities(entry.before),
        identities(entry.after),
        evidence,
        entry.model_version,
        entry.undoes,
        entry.undone_by,
        entry.action != ledger.UNDO and entry.undone_by is None,
    )
