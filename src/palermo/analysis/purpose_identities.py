"""Identities per purpose: a merge that needed a withheld value is not used (issue 19).

Identities are resolved over every value the viewer reads (ADR 0036, ADR 0046): a read
declaring a purpose that may not use some of them (H0, ADR 0051) would still see two
records as one node because their withheld names matched -- a derived value carrying a
value the reader may not use. So for a purpose, each link that joined two records is
weighed again without the withheld values, and an identity is cut where a link does not
stand without them (ADR 0051, "Amendment 2026-11-30: identities per purpose"):

- *model links*: the stored pair keeps Splink's match weight per comparison (`mw_*`,
  `Link.weights`). Each comparison that read a withheld value of either record
  (`COMPARISON_PROPS`; ``contact`` also when an account an Ownership gives the record is
  withheld) is set to its null level, weight 0, and the probability recomputed from the
  rest; the link stands when that still reaches the view's threshold. A comparison that
  read a usable value beside a withheld one is nulled too: which of them agreed is not
  kept, so the weight is not the reader's to use.
- *strong-identifier links* (`xref.strong_links`, ADR 0011) carry no weights for their
  decision; the shared identifier named in their evidence is checked again on the usable
  values of both records, with their usable names and the contradiction test
  (`xref._strong_link`); else the model's part of the pair decides as above.
- *analysts' confirmations* stand: they are a decision, not a score (`Evidence.verdicts`).

An identity is then cut into the connected parts of its records over the links that stand
(`ledger_pairs.split_hidden`: the largest part keeps the identity's id). Identities are
only ever cut, never joined: a withheld value that spoke *against* a pair does not make it
join for the purpose (the resolver never joined it), so a purpose view shows no more than
the full one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from palermo.analysis.identities import owned_accounts, xref_record
from palermo.match.ledger_pairs import split_hidden
from palermo.match.xref import (
    CONFIRM,
    REJECT,
    Link,
    XrefRecord,
    _strong_link,
    features,
    strong_keys,
)
from palermo.model.statement import BASE
from palermo.store.purpose_view import withheld

NAMES = frozenset(
    {"name", "alias", "firstName", "middleName", "secondName", "fatherName", "lastName"}
)
# comparison of the resolver (`xref.comparisons`, its output column) -> the Person
# properties it reads (`xref.from_ftm`, `features`)
COMPARISON_PROPS: Mapping[str, frozenset[str]] = {
    "name": NAMES,
    "dob": frozenset({"birthDate"}),
    "document": frozenset(
        {"passportNumber", "idNumber", "taxNumber", "innCode", "vatCode", "socialSecurityNumber"}
    ),
    "address": frozenset({"address", "addressFull"}),
    "phone": frozenset({"phone"}),
    "nationality": frozenset({"nationality", "citizenship"}),
    "sex": frozenset({"gender"}),
    "birth_place": frozenset({"birthPlace"}),
    "occupation": frozenset({"position", "occupation", "profession"}),
    "contact": frozenset({"email"}),
}
CONTACT = "contact"  # also reads the accounts of linked BankAccount records
TF_PREFIX = "tf_adj_"  # Splink's term-frequency part of a comparison's weight
EVIDENCE = re.compile(r"same (?P<kind>\w+) (?P<value>\S+), names")
Key = tuple[str, str]


@dataclass(frozen=True)
class Evidence:
    """What joined a view's identities: the links that joined (`ledger_pairs.joins`), the
    view's threshold and the analysts' judgements laid over the identities."""

    links: Sequence[Link]
    threshold: float
    verdicts: Mapping[Key, str] = field(default_factory=dict)


def comparison_of(weight: str) -> str:
    """The comparison a stored weight belongs to (``tf_adj_name`` -> ``name``)."""
    return weight.removeprefix(TF_PREFIX)


def withheld_comparisons(props: Iterable[str]) -> frozenset[str]:
    """The comparisons that read any of ``props`` (withheld properties of a record)."""
    gone = set(props)
    return frozenset(c for c, read in COMPARISON_PROPS.items() if read & gone)


def _logit2(p: float) -> float:
    return math.log2(p / (1 - p))


def model_prior(links: Iterable[Link]) -> float | None:
    """The prior's match weight of the model that scored ``links``: Splink's probability is
    2^w / (1 + 2^w) with w = prior + the comparisons' weights, so each model link (not
    decided by a strong identifier, whose probability is raised) gives it; the median, as
    arrivals and batch runs of one view score with one persisted model. None: no such link."""
    offsets = [
        _logit2(lk.probability) - sum(lk.weights.values())
        for lk in links
        if not lk.strong and lk.weights and 0.0 < lk.probability < 1.0
    ]
    return float(median(offsets)) if offsets else None


def purpose_probability(link: Link, gone: Collection[str], prior: float | None) -> float:
    """The model's probability of ``link`` with the comparisons ``gone`` at their null level
    (weight 0), never above the probability it had (`min`): a withheld value that spoke
    against the pair does not raise it. 0 when the model's part cannot be recomputed (a
    strong link without weights, or no prior to recompute it from)."""
    cut = sum(w for k, w in link.weights.items() if comparison_of(k) in gone)
    if not link.strong and 0.0 < link.probability < 1.0:
        total = _logit2(link.probability)
    elif prior is not None and link.weights:
        total = prior + sum(link.weights.values())
    else:
        return 0.0
    if not cut and not link.strong:
        return link.probability
    weight = total - cut
    return min(link.probability, 1.0 / (1.0 + math.exp2(-weight)))


def strong_stands(link: Link, left: XrefRecord | None, right: XrefRecord | None) -> bool:
    """Whether the shared identifier that decided ``link`` (its evidence) still decides it
    on the usable values of both records (``left``/``right``: None when withheld whole)."""
    found = EVIDENCE.match(link.evidence or "")
    if found is None or left is None or right is None:
        return False
    key = (found["kind"], found["value"])
    if key not in strong_keys(left) or key not in strong_keys(right):
        return False
    pair = (min(left.id, right.id), max(left.id, right.id))
    rows = {left.id: features(left), right.id: features(right)}
    return _strong_link(pair, *key, rows[pair[0]], rows[pair[1]], {}) is not None


def stands(
    link: Link,
    gone: Collection[str],
    records: Callable[[str], XrefRecord | None],
    threshold: float,
    prior: float | None,
) -> bool:
    """Whether ``link`` joins for the purpose (see the module docstring); ``gone``: the
    comparisons that read a withheld value of either record; ``records``: a record's usable
    values as the resolver reads them."""
    if not gone and not link.strong:
        return link.probability >= threshold
    if link.strong and strong_stands(link, records(link.left), records(link.right)):
        return True
    return purpose_probability(link, gone, prior) >= threshold


@dataclass
class _Records:
    """Person records of the full workspace and of the purpose's view, as the resolver
    reads them, and which comparisons read a withheld value of each."""

    full: Mapping[str, Mapping[str, Any]]
    kept: Mapping[str, Mapping[str, Any]]
    accounts: Mapping[str, tuple[str, ...]]
    gone: dict[str, frozenset[str]]
    _read: dict[str, XrefRecord | None] = field(default_factory=dict)

    def record(self, record_id: str) -> XrefRecord | None:
        if record_id not in self._read:
            data = self.kept.get(record_id)
            self._read[record_id] = None if data is None else xref_record(data, self.accounts)
        return self._read[record_id]


def _records(
    full: Iterable[Mapping[str, Any]], kept: Iterable[Mapping[str, Any]], purpose: str
) -> _Records:
    full_items, kept_items = list(full), list(kept)
    persons = {str(e["id"]): e for e in full_items if e.get("schema") == "Person"}
    usable = {str(e["id"]): e for e in kept_items if e.get("schema") == "Person"}
    before, after = owned_accounts(full_items), owned_accounts(kept_items)
    gone: dict[str, frozenset[str]] = {}
    for rid, e in persons.items():
        props = set(withheld(e, purpose)) - {BASE}
        cut = withheld_comparisons(props)
        if before.get(rid, ()) != after.get(rid, ()):
            cut |= {CONTACT}
        if cut:
            gone[rid] = cut
    return _Records(persons, usable, after, gone)


EvidenceOf = Callable[[Collection[str]], Evidence]


def identities_for_purpose(
    full: Sequence[Mapping[str, Any]],
    kept: Sequence[Mapping[str, Any]],
    identity_of: Mapping[str, str],
    evidence_of: EvidenceOf | None,
    purpose: str,
) -> dict[str, str]:
    """record id -> identity for ``purpose``: ``identity_of`` (over every value of
    ``full``) with each identity cut where a link needed a value of ``full`` withheld in
    ``kept`` (`purpose_view.for_purpose` of it) or a record ``kept`` dropped.
    ``evidence_of`` gives what joined the identities of the records it is handed (only
    the touched identities' records are asked for); without it a touched identity falls
    into single records, as `split_hidden` does. The mapping itself when nothing is
    touched."""
    records = _records(full, kept, purpose)
    dropped = {r for r in records.full if r not in records.kept}
    touched = {identity_of[r] for r in (*records.gone, *dropped) if r in identity_of}
    if not touched:
        return dict(identity_of)
    membership = {r: i for r, i in identity_of.items() if r not in dropped}
    edges: list[Key] = []
    if evidence_of is not None:
        evidence = evidence_of(sorted(r for r, i in membership.items() if i in touched))
        prior = model_prior(evidence.links)
        for link in evidence.links:
            a, b = link.left, link.right
            ia = membership.get(a)
            if ia is None or ia != membership.get(b) or ia not in touched:
                continue
            if evidence.verdicts.get((min(a, b), max(a, b))) == REJECT:
                continue
            cut = records.gone.get(a, frozenset()) | records.gone.get(b, frozenset())
            if stands(link, cut, records.record, evidence.threshold, prior):
                edges.append((a, b))
        edges += [
            (a, b)
            for (a, b), verdict in evidence.verdicts.items()
            if verdict == CONFIRM and a in membership and membership[a] == membership.get(b)
        ]
    return split_hidden(membership, touched, edges)
