"""The court outcomes of a case's suspects, for the case page (issue 20, ADR 0028).

A prosecutor records outcomes on the person (a case can have many subjects and outlive a
trial), but whoever works the case wants to see what the courts did with its subjects. The
page lists every court outcome the viewer reads whose defendant is one of the case's
subjects (or that names the case as its investigation), with its corrections, and every
outcome retracted since, from its `CourtOutcomeChange` record (the outcome itself is
withdrawn, the history keeps what it said), marked as such. Everything is read through the
store handed in, so a page passes one bound to the session's purpose, as for the case file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from palermo.access.viewer import Viewer
from palermo.coordination.court_changes import CHANGE, RETRACTED, withdrawn_values
from palermo.store.store import Store
from palermo.store.views import Entity

SHOWN = ("verdict", "prosecutionDate", "verdictDate", "offenceCode", "exploitationForm", "court")


@dataclass(frozen=True)
class CourtRow:
    """One court outcome as the case page shows it."""

    outcome_id: str
    defendant: str
    values: dict[str, str]
    retracted: bool = False
    changes: list[Entity] = field(default_factory=list)
    own: bool = False  # recorded by the viewer's agency: it may correct or retract it

    @property
    def corrected(self) -> bool:
        return any(c.first("change") == "corrected" for c in self.changes)


def case_court_outcomes(store: Store, viewer: Viewer, case: Entity) -> list[CourtRow]:
    """The court outcomes of the case's subjects the viewer reads, retracted ones included
    (from their history), by defendant and prosecution date."""
    subjects = case.values("subjects")
    outcomes: dict[str, Entity] = {}
    changes: dict[str, list[Entity]] = defaultdict(list)
    for subject in subjects:
        for e in store.referencing(viewer, subject, schema="CourtOutcome"):
            if subject in e.values("defendant"):
                outcomes[e.id] = e
        for c in store.referencing(viewer, subject, schema=CHANGE):
            if subject in c.values("defendant"):
                changes[c.first("outcome") or ""].append(c)
    for e in store.referencing(viewer, case.id, schema="CourtOutcome"):
        outcomes.setdefault(e.id, e)
    rows = [
        CourtRow(
            e.id,
            e.first("defendant") or "",
            {p: e.first(p) or "" for p in SHOWN},
            changes=_ordered(changes.get(e.id, [])),
            own=any(v.agency == viewer.agency for v in e.properties.get("defendant", [])),
        )
        for e in outcomes.values()
    ]
    for outcome_id, found in changes.items():
        retraction = next((c for c in found if c.first("change") == RETRACTED), None)
        if outcome_id in outcomes or retraction is None:
            continue
        said = withdrawn_values(retraction)
        rows.append(
            CourtRow(
                outcome_id,
                said.get("defendant", retraction.first("defendant") or ""),
                {p: said.get(p, "") for p in SHOWN},
                True,
                _ordered(found),
            )
        )
    return sorted(rows, key=lambda r: (r.defendant, r.values["prosecutionDate"], r.outcome_id))


def _ordered(changes: list[Entity]) -> list[Entity]:
    return sorted(changes, key=lambda c: (c.first("changedAt") or "", c.id))
