"""The identity ledger per purpose: an entry that rests on withheld values is held (issue 19).

The ledger (`match.ledger`) is the history of the view's identities, resolved over every
value the viewer reads. Its entries say which records were one identity (the groups before
and after a merge, a split or an undo) and why (the evidence: probabilities, Splink's
match weight per comparison, the shared identifier "same passport X, names 0.93 alike").
Shown to a read declaring a purpose (H0, ADR 0051), a merge that only a name stated for
court made would tell an investigator that two records' names matched. So, by the rule
identities follow for a purpose (`analysis.purpose_identities`, ADR 0051's amendments
"identities per purpose" and "the ledger per purpose"):

- a link *stands* for the purpose when it joins without the values withheld from it
  (`purpose_identities.stands`: the comparisons that read a withheld value of either
  record at weight 0, a strong identifier only on usable values), or an analyst confirmed
  the pair (a decision, not a score). The links weighed are the entry's evidence, the
  evidence of the entry an undo undid, and the view's stored joining pairs touching the
  entry's records (`ledger_pairs.joining_links`);
- an entry is *held* when one of its groups (before or after) holds a record with a value
  withheld from the purpose and its records the purpose may use are not connected by links
  that stand. A held entry stays in the list, as an alert or a search hit found through a
  withheld value does (`exchange.alert_purpose`): its number, action, actor, time and
  model stay, its records and evidence go, and a marker says whom to ask. It cannot be
  undone under that purpose (`ledger_access.undo_entry`);
- an entry shown keeps its evidence cut: the weights of comparisons that read a withheld
  value of either end leave, the probability is the one the usable values give (never
  above the stored one), a shared identifier stays (without the names' score) only while
  it is a strong key of both records' usable values;
- a record whose id (or every value) is withheld is not named: it is counted with the
  records no longer visible, and a link through it is cut.

Nothing changes for a read without a purpose (None: internal callers), nor for entries
none of whose records holds a withheld value. The cost is that of the records of one page.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from palermo.access.viewer import Viewer
from palermo.analysis.identities import xref_record
from palermo.analysis.purpose_identities import (
    CONTACT,
    EVIDENCE,
    comparison_of,
    model_prior,
    purpose_probability,
    stands,
    strong_stands,
    withheld_comparisons,
)
from palermo.match import ledger, ledger_pairs
from palermo.match.incremental import load_model
from palermo.match.judgement_lookup import judgements_touching
from palermo.match.xref import CONFIRM, Link, XrefRecord
from palermo.match.xref_threshold import XREF_THRESHOLD
from palermo.model.statement import BASE
from palermo.store.purpose_view import (
    H0_KEY,
    UNDECLARED,
    entity_for_purpose,
    value_copies,
    withheld,
    withheld_note,
)
from palermo.store.store import Store
from palermo.store.views import Entity

Key = tuple[str, str]


def held_marker(purpose: str, owners: Iterable[str]) -> str:
    """What a held entry says instead of its records: the purpose and whom to ask."""
    name = purpose if purpose != UNDECLARED else "a read that declares no purpose"
    return f"rests on values not usable for {name} ({withheld_note(sorted(set(owners)))})"


@dataclass(frozen=True)
class Judged:
    """Entries as a purpose may show them: the held ones (seq -> agencies to ask), the cut
    evidence of the others that touch a withheld value (seq -> links), and the records the
    purpose may not name. Empty for a read without a purpose."""

    purpose: str | None = None
    held: Mapping[int, list[str]] = field(default_factory=dict)
    evidence: Mapping[int, list[dict[str, Any]]] = field(default_factory=dict)
    dropped: frozenset[str] = frozenset()

    def marker(self, seq: int) -> str:
        """The held marker of entry ``seq`` ('' when it is shown)."""
        if seq not in self.held or self.purpose is None:
            return ""
        return held_marker(self.purpose, self.held[seq])


@dataclass(frozen=True)
class _Sides:
    """The records read, and for those with values withheld from the purpose: which
    comparisons read them, whom to ask, their usable values, and whether they may be named."""

    visible: frozenset[str]
    gone: Mapping[str, frozenset[str]]
    owners: Mapping[str, list[str]]
    shown: Mapping[str, Entity]  # each record read, without its withheld values
    dropped: frozenset[str]
    _records: dict[str, XrefRecord | None] = field(default_factory=dict)

    def record(self, record_id: str) -> XrefRecord | None:
        """A record's usable values as the resolver reads them (None: not read, or not
        to be named), built when a link first needs it."""
        if record_id not in self._records:
            entity = self.shown.get(record_id)
            if entity is None or record_id in self.dropped:
                self._records[record_id] = None
            else:
                self._records[record_id] = xref_record(entity.to_ftm())
        return self._records[record_id]


def _sides(read: Sequence[Entity], viewer: Viewer, purpose: str) -> _Sides:
    gone: dict[str, frozenset[str]] = {}
    owners: dict[str, list[str]] = {}
    shown: dict[str, Entity] = {}
    dropped: set[str] = set()
    for entity in read:
        copies = value_copies(entity, viewer)
        out = withheld({H0_KEY: copies}, purpose) if copies else {}
        shown[entity.id] = entity_for_purpose(entity, viewer, purpose) if out else entity
        if not out:
            continue
        # `contact` also reads accounts of other records: nulled whenever anything is
        # withheld, as the review queue does (`review_purpose`)
        gone[entity.id] = withheld_comparisons(set(out) - {BASE}) | {CONTACT}
        owners[entity.id] = sorted({*shown[entity.id].withheld_owners, *_base_owners(entity, out)})
        if BASE in out or not set(shown[entity.id].properties) - {BASE}:
            dropped.add(entity.id)  # its id, or every value, withheld: not to be named
    return _Sides(frozenset(shown), gone, owners, shown, frozenset(dropped))


def _base_owners(entity: Entity, out: Mapping[str, set[str]]) -> set[str]:
    """The agencies of a withheld id statement (`entity_for_purpose` does not name them)."""
    ids = out.get(BASE, set())
    return {v.agency for v in entity.properties.get(BASE, []) if v.value in ids}


def _link(found: Mapping[str, Any]) -> Link:
    """An evidence entry (`ledger.evidence_of`) as the resolver's Link."""
    return Link(
        str(found.get("left")),
        str(found.get("right")),
        float(found.get("probability") or 0.0),
        {str(k): float(v) for k, v in (found.get("weights") or {}).items()},
        found.get("judged"),
        found.get("identifier"),
    )


def _key(a: str, b: str) -> Key:
    return (min(a, b), max(a, b))


@dataclass(frozen=True)
class _Weighing:
    """The links of a page weighed for the purpose: the pairs that stand."""

    sides: _Sides
    threshold: float
    prior: float | None
    standing: frozenset[Key]

    def cut(self, link: Link) -> frozenset[str]:
        gone = self.sides.gone
        return gone.get(link.left, frozenset()) | gone.get(link.right, frozenset())


def _weigh(
    store: Store,
    viewer: Viewer,
    sides: _Sides,
    records: Collection[str],
    evidence: Iterable[Link],
) -> _Weighing:
    """Which pairs touching ``records`` stand for the purpose (the module docstring)."""
    scope = ledger.scope_of(viewer)
    links = [*evidence, *ledger_pairs.joining_links(store, scope, records)]
    model = load_model(store, scope)
    threshold = model[1] if model is not None else XREF_THRESHOLD
    prior = model_prior(links)
    standing: set[Key] = {
        pair
        for pair, verdict in judgements_touching(store, viewer, records).items()
        if verdict == CONFIRM
    }
    weighing = _Weighing(sides, threshold, prior, frozenset())
    for link in links:
        key = _key(link.left, link.right)
        if key in standing or link.left in sides.dropped or link.right in sides.dropped:
            continue
        scored = link.probability > 0.0 or link.strong  # an undo's evidence is a judgement
        if link.judged == CONFIRM or (
            scored and stands(link, weighing.cut(link), sides.record, threshold, prior)
        ):
            standing.add(key)
    return _Weighing(sides, threshold, prior, frozenset(standing))


def _connected(records: Sequence[str], standing: Collection[Key]) -> bool:
    return len(ledger_pairs.connected_parts(records, standing)) == 1


def _failing(groups: Iterable[Sequence[str]], weighing: _Weighing) -> set[str]:
    """The records with withheld values of the groups whose usable records the standing
    links do not hold together (empty: every group stands)."""
    sides = weighing.sides
    out: set[str] = set()
    for members in groups:
        touched = [r for r in members if r in sides.gone]
        if not touched:
            continue
        kept = [r for r in members if r in sides.visible and r not in sides.dropped]
        if len(kept) >= 2 and not _connected(kept, weighing.standing):
            out.update(touched)
    return out


def _records(entry: ledger.Entry) -> set[str]:
    out = {r for groups in (entry.before, entry.after) for rs in groups.values() for r in rs}
    out.update(str(e.get(end)) for e in entry.evidence for end in ("left", "right"))
    return out


def for_purpose(
    store: Store,
    viewer: Viewer,
    entries: Sequence[ledger.Entry],
    purpose: str | None,
    read: Sequence[Entity] | None = None,
) -> Judged:
    """``entries`` (of the viewer's view) as ``purpose`` may show them to ``viewer``;
    ``read``: their records as the viewer reads them with every value, when the caller
    has them already (else they are read here)."""
    if purpose is None or not entries:
        return Judged(purpose)
    if read is None:
        ids = sorted({r for e in entries for r in _records(e)})
        read = store.entities(viewer, ids=ids, limit=len(ids), purpose=None)  # judged here
    sides = _sides(read, viewer, purpose)
    touched = [e for e in entries if _records(e) & set(sides.gone)]
    if not touched:
        return Judged(purpose)
    scope = ledger.scope_of(viewer)
    undone = {
        e.seq: found
        for e in touched
        if e.undoes is not None and (found := ledger.entry(store, scope, e.undoes)) is not None
    }
    evidence = [
        _link(x)
        for e in (*touched, *undone.values())
        for x in e.evidence
        if x.get("left") and x.get("right")
    ]
    records = sorted({r for e in (*touched, *undone.values()) for r in _records(e)})
    weighing = _weigh(store, viewer, sides, records, evidence)
    held: dict[int, list[str]] = {}
    shown: dict[int, list[dict[str, Any]]] = {}
    for entry in touched:
        failing = _failing([*entry.before.values(), *entry.after.values()], weighing)
        if failing:
            held[entry.seq] = sorted({a for r in failing for a in sides.owners.get(r, [])})
        else:
            shown[entry.seq] = [
                cut for x in entry.evidence if (cut := _cut_evidence(x, weighing)) is not None
            ]
    return Judged(purpose, held, shown, sides.dropped)


def _cut_evidence(found: Mapping[str, Any], weighing: _Weighing) -> dict[str, Any] | None:
    """One evidence link as the purpose may show it (None: through a record it may not
    name). A link none of whose records holds a withheld value is shown as stored."""
    link = _link(found)
    sides = weighing.sides
    if link.left in sides.dropped or link.right in sides.dropped:
        return None
    cut = weighing.cut(link)
    if link.left not in sides.gone and link.right not in sides.gone:
        return dict(found)
    out: dict[str, Any] = {k: v for k, v in found.items() if k not in ("weights", "identifier")}
    kept = {k: w for k, w in link.weights.items() if comparison_of(k) not in cut}
    if kept:
        out["weights"] = kept
    strong = link.strong and strong_stands(link, sides.record(link.left), sides.record(link.right))
    if strong:
        shared = EVIDENCE.match(link.evidence or "")
        if shared is not None:
            out["identifier"] = f"same {shared['kind']} {shared['value']}"
    elif "probability" in found:
        probability = purpose_probability(link, cut, weighing.prior)
        out["probability"] = round(probability, 6)
    return out


def part_for_purpose(
    store: Store,
    viewer: Viewer,
    record_id: str,
    members: Sequence[str],
    read: Sequence[Entity],
    purpose: str | None,
) -> tuple[list[str], bool] | None:
    """The records of ``members`` (one identity, ``read`` those the viewer may see) that
    stay one identity with ``record_id`` for ``purpose``, and whether that part keeps the
    identity's id (`ledger_pairs.split_hidden`'s rule: the largest part, ties the smallest
    first record). None: nothing of the identity is withheld, it stands as it is."""
    if purpose is None:
        return None
    sides = _sides(read, viewer, purpose)
    if not set(members) & set(sides.gone):
        return None
    kept = [r for r in members if r in sides.visible and r not in sides.dropped]
    weighing = _weigh(store, viewer, sides, kept, [])
    inside = [(a, b) for a, b in weighing.standing if a in kept and b in kept]
    parts = ledger_pairs.split_hidden(
        {r: "whole" for r in kept}, {"whole"}, inside
    )  # the part named "whole" is the largest
    mine = parts.get(record_id)
    if mine is None:
        return [], False
    return sorted(r for r, p in parts.items() if p == mine), mine == "whole"
