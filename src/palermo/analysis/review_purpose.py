"""H0 in the identity review queue: the pair stays, the values and explanations go.

The queue (`analysis.review`) is resolved, scored and cached per viewer over every value
the viewer reads, as every identity is (matching is not a read shown to anyone). What the
page and ``GET /api/v1/review`` *show* of a pair is a read (ADR 0051): both records' values
side by side, their captions, the features that drove the score and the explanations
(``evidence``: "same document X ...", ``review``: "document X is reported stolen ...").
So before a page of the queue is shown, each side is read again for the read's purpose, by
`purpose_view`'s one rule, and:

- a value no copy allows for the purpose leaves the side-by-side table, and a caption that
  is such a name falls back to another usable name, else the record id;
- a feature that compared a property with a withheld value on either side is left out (its
  weight says how alike two values are that the reader may not see), as screening replaces
  the explanation of such a feature (`match.screening_purpose`);
- the evidence and the review flag quote identifiers: when either side has a withheld
  value they are replaced by the marker (a flagged pair stays flagged);
- each side read so is handed back for the pages' withheld note.

The pair stays, with its rank, when usable values still score it into the queue; its
probability is then the one they give. A pair whose score reaches the queue only through
withheld values is not shown (ADR 0051's amendment "identities per purpose"): its match
weight is recomputed with every comparison that read a withheld value of either side at its
null level (`purpose_identities.purpose_probability`; ``contact``, which also reads accounts
of other records, whenever a side has anything withheld), and a flagged strong link stands
only if its shared identifier and names are usable (`purpose_identities.strong_stands`);
below `review.REJECT_THRESHOLD` the pair leaves the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from palermo.access.viewer import Viewer
from palermo.analysis.identities import xref_record
from palermo.analysis.purpose_identities import (
    CONTACT,
    model_prior,
    purpose_probability,
    strong_stands,
    withheld_comparisons,
)
from palermo.analysis.review import REJECT_THRESHOLD, ReviewItem
from palermo.match.xref import Link, XrefRecord
from palermo.model.statement import BASE
from palermo.store.purpose_view import (
    H0_KEY,
    entity_for_purpose,
    value_copies,
    withheld,
    withheld_note,
)
from palermo.store.store import Store
from palermo.store.views import Entity
from palermo.store.visibility import MASK

WITHHELD_DETAILS = "details withheld: H0, stated for other purposes"
NAMES = frozenset(
    {"name", "alias", "firstName", "middleName", "secondName", "fatherName", "lastName"}
)
# the properties each comparison of the resolver (`match.xref`, `from_ftm`) reads; a
# feature not listed (``contact``: e-mails and the accounts of linked records) is left out
# whenever anything of the pair is withheld
FEATURE_PROPS: Mapping[str, frozenset[str]] = {
    "name": NAMES,
    "given_name": NAMES,
    "family_name": NAMES,
    "birth_date": frozenset({"birthDate"}),
    "dob": frozenset({"birthDate"}),
    "document": frozenset({"passportNumber", "idNumber", "taxNumber", "socialSecurityNumber"}),
    "nationality": frozenset({"nationality", "citizenship"}),
    "sex": frozenset({"gender"}),
    "address": frozenset({"address", "addressFull"}),
    "phone": frozenset({"phone"}),
    "email": frozenset({"email"}),
    "birth_place": frozenset({"birthPlace"}),
    "occupation": frozenset({"position", "occupation", "profession"}),
}


def for_purpose(
    store: Store,
    viewer: Viewer,
    items: list[ReviewItem],
    purpose: str | None,
    report_status: Callable[[str], str] | None = None,
) -> tuple[list[ReviewItem], list[Entity]]:
    """``items`` as ``purpose`` may show them to ``viewer``, and the records of those items
    read for it that had values left out (for the note). None: unchanged.

    ``report_status`` answers a document number's report status as the purpose may show it
    (the screening index for the purpose, `ScreeningIndex.check_document`): a review flag
    quoting a status it does not give (``withheld``: H0 on the report) loses its details.
    Without it every flag on a page with a declared purpose loses them."""
    if purpose is None or not items:
        return items, []
    items = [_flag(i, report_status) for i in items]
    ids = sorted({r for i in items for r in (i.left, i.right)})
    read = store.entities(viewer, ids=ids, limit=len(ids), purpose=None)  # judged below
    gone: dict[str, dict[str, set[str]]] = {}
    held: dict[str, Entity] = {}
    for entity in read:
        copies = value_copies(entity, viewer)
        out = withheld({H0_KEY: copies}, purpose) if copies else {}
        out.pop(BASE, None)
        if out:
            gone[entity.id] = out
            held[entity.id] = entity_for_purpose(entity, viewer, purpose)
    if gone:
        usable = {e.id: xref_record(held.get(e.id, e).to_ftm()) for e in read}
        items = _scored(items, gone, usable)
    shown = [_item(i, gone.get(i.left, {}), gone.get(i.right, {}), held) for i in items]
    return shown, list(held.values())


def _link(item: ReviewItem) -> Link:
    return Link(item.left, item.right, item.probability, dict(item.features), None, item.evidence)


def _scored(
    items: list[ReviewItem],
    gone: Mapping[str, Mapping[str, set[str]]],
    usable: Mapping[str, XrefRecord],
) -> list[ReviewItem]:
    """The items whose usable values still score them into the queue, each with the
    probability those give (see the module docstring)."""
    prior = model_prior(_link(i) for i in items)
    out: list[ReviewItem] = []
    for item in items:
        sides = [gone.get(r, {}) for r in (item.left, item.right)]
        if not any(sides):
            out.append(item)
            continue
        cut = withheld_comparisons(p for side in sides for p in side) | {CONTACT}
        link = _link(item)
        if link.strong and strong_stands(link, usable.get(item.left), usable.get(item.right)):
            out.append(item)
            continue
        probability = purpose_probability(link, cut, prior)
        if probability >= REJECT_THRESHOLD:
            out.append(replace(item, probability=probability))
    return out


def _item(
    item: ReviewItem,
    left: Mapping[str, set[str]],
    right: Mapping[str, set[str]],
    held: Mapping[str, Entity],
) -> ReviewItem:
    if not left and not right:
        return item
    rows = [
        (prop, _kept(lv, left.get(prop, set())), _kept(rv, right.get(prop, set())))
        for prop, lv, rv in item.values
    ]
    values = tuple(row for row in rows if row[1] or row[2])
    props = set(left) | set(right)
    features = {
        name: weight
        for name, weight in item.features.items()
        if name in FEATURE_PROPS and not FEATURE_PROPS[name] & props
    }
    owners = sorted(
        {a for r in (item.left, item.right) if r in held for a in held[r].withheld_owners}
    )
    note = withheld_note(owners)
    return replace(
        item,
        values=values,
        labels=(
            _label(item.labels[0], item.left, left, [lv for p, lv, _ in values if p == "name"]),
            _label(item.labels[1], item.right, right, [rv for p, _, rv in values if p == "name"]),
        ),
        features=features,
        evidence=note if item.evidence is not None else None,
        review=f"{CUT_FLAG} ({note})" if item.review is not None else None,
    )


# the review flag `match.xref._strong_link` writes
FLAG = re.compile(r"document (?P<number>\S+) is reported (?P<status>.+): check for an impostor")
CUT_FLAG = "a document both records hold is reported: check for an impostor"


def _flag(item: ReviewItem, report_status: Callable[[str], str] | None) -> ReviewItem:
    """The item with its review flag cut when the flag quotes a report status the purpose
    may not read (or one that cannot be checked)."""
    if item.review is None:
        return item
    found = FLAG.fullmatch(item.review)
    if (
        found is not None
        and report_status is not None
        and report_status(found["number"]) == found["status"]
    ):
        return item
    return replace(item, review=f"{CUT_FLAG} ({WITHHELD_DETAILS})")


def _kept(values: Iterable[str], gone: set[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v not in gone)


def _label(
    label: str, record: str, gone: Mapping[str, set[str]], names: list[tuple[str, ...]]
) -> str:
    """The caption, unless it is a withheld name: then another usable name, else the id."""
    if label not in gone.get("name", set()):
        return label
    usable = [v for side in names for v in side if v != MASK]
    return usable[0] if usable else record
