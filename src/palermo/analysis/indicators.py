"""Risk indicators: the ILO and UNODC indicators coded as rules, with an explained score.

Each rule looks for one indicator in the records an identity is named in, and says which
records made it fire. The score combines the fired indicators' weights (from the catalogue,
`model/indicators.yaml`) as independent pieces of evidence, 1 - prod(1 - w), so one strong
indicator counts for much and more indicators always count for more, never past 1.

Rules:
- observed: an officer, inspector or case worker noted the indicator on a record (a border
  crossing's or a victim record's `indicators`);
- unodc-false-documents: the person's passport number is reported stolen, lost or forged;
- unodc-child-travelling: a border crossing before the person's 18th birthday;
- unodc-travel-arranged-by-others: on one trip with a suspect of trafficking;
- unodc-employer-provided-housing: lives at an address shared with a suspect, or with three
  or more other people;
- unodc-named-recruiter: the person's statement names a recruiter or exploiter (an
  Associate link `recruited-by` / `exploited-by` from the person).

Grades weigh the evidence: a fired indicator counts with its catalogue weight times the
grade weight (`model.grading`, A1 1.0 ... X4 0.25) of the best-graded record that made it
fire; an ungraded record counts in full, as before grades existed (grading is opt-in, and
an unknown grade is not evidence of a bad source). Each score carries the marking
(`model.handling_merge`) of its identity's records and of every record cited as evidence,
so its handling codes are never looser than any of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo.analysis.linkgraph import normalise
from palermo.analysis.statistics import SUSPECT_TOPIC, first
from palermo.model.handling_merge import Marking, merge
from palermo.model.indicators import indicators
from palermo.model.record_marking import carried_marking, identity_markings, record_markings
from palermo.store.visibility import MASK

Props = Mapping[str, list[str]]
NAMED_RELATIONS = ("recruited-by", "exploited-by", "transported-by")


@dataclass(frozen=True)
class Fired:
    indicator: str
    label: str
    weight: float
    records: tuple[str, ...]
    grade: str = ""  # the grade that weighted the evidence ("" ungraded: full weight)


@dataclass
class RiskScore:
    identity: str
    score: float
    fired: list[Fired] = field(default_factory=list)
    handling: str = ""  # marking text: identity records + evidence records, merged

    def explain(self) -> str:
        parts = [f"{f.label} ({f.weight:.2f}; {', '.join(f.records)})" for f in self.fired]
        return f"{self.score:.2f}: " + ("; ".join(parts) if parts else "no indicator fired")


@dataclass
class _Evidence:
    """Indicator -> records, per identity."""

    found: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    markings: dict[str, Marking] = field(default_factory=dict)  # evidence record -> marking

    def fired(self, identity: str, catalogue: Mapping[str, Any]) -> list[Fired]:
        """The identity's fired indicators, each weighted by its best-graded evidence."""
        out = []
        for code, records in sorted(self.found.get(identity, {}).items()):
            weight = float(catalogue.get(code, {}).get("weight", 0.2))
            grade, factor = _best_grade([self.markings.get(r, Marking()) for r in records])
            out.append(
                Fired(
                    code,
                    catalogue.get(code, {}).get("label", code),
                    round(weight * factor, 6),
                    tuple(sorted(records)),
                    grade,
                )
            )
        return out

    def handling(self, identity: str, own: Marking) -> str:
        cited = (
            self.markings.get(r, Marking())
            for rs in self.found.get(identity, {}).values()
            for r in rs
        )
        return merge([own, *cited]).text

    def add(self, who: str, indicator: str, record: str) -> None:
        if who:
            self.found[who][indicator].add(record)


def _best_grade(markings: list[Marking]) -> tuple[str, float]:
    """(grade text, weight) of the strongest evidence; any ungraded record counts in full."""
    if not markings or any(m.grade is None for m in markings):
        return "", 1.0
    best = max((m.grade for m in markings if m.grade is not None), key=lambda g: g.weight)
    return best.text, best.weight


def score(
    entities: Iterable[Mapping[str, Any]],
    identity_of: Mapping[str, str] | None = None,
    use_victim_records: bool = True,
) -> list[RiskScore]:
    """A score for every person identity, highest first.

    ``use_victim_records=False`` leaves out what victim records say -- the setting for
    finding victims nobody has identified yet (and for an honest benchmark, since a victim
    record is itself a sign that someone is a victim)."""
    ident = identity_of or {}
    items = list(entities)
    persons = {str(e["id"]): e.get("properties", {}) for e in items if e["schema"] == "Person"}
    who = {p: ident.get(p, p) for p in persons}
    suspects = {who[p] for p, props in persons.items() if SUSPECT_TOPIC in props.get("topics", [])}
    evidence = _Evidence(markings=record_markings(items, carried_marking))
    own = identity_markings({p: m for p, m in evidence.markings.items() if p in persons}, ident)
    _observed(evidence, items, who, use_victim_records)
    _documents(evidence, items, persons, who)
    _travel(evidence, items, persons, who, suspects)
    _housing(evidence, persons, who, suspects, own)
    if use_victim_records:
        _statements(evidence, items, who)
    catalogue = indicators()
    out = []
    for identity in sorted(set(who.values())):
        fired = evidence.fired(identity, catalogue)
        remaining = 1.0
        for f in fired:
            remaining *= 1 - f.weight
        fired.sort(key=lambda f: (-f.weight, f.indicator))
        marking = evidence.handling(identity, own.get(identity, Marking()))
        out.append(RiskScore(identity, round(1 - remaining, 6), fired, marking))
    return sorted(out, key=lambda r: (-r.score, r.identity))


def _observed(
    evidence: _Evidence,
    items: list[Mapping[str, Any]],
    who: Mapping[str, str],
    use_victim_records: bool,
) -> None:
    subject = {"BorderCrossing": "traveller", "VictimRecord": "victim"}
    for e in items:
        prop = subject.get(e["schema"])
        if prop is None or (e["schema"] == "VictimRecord" and not use_victim_records):
            continue
        props: Props = e.get("properties", {})
        person = who.get(first(props, prop, ""), "")
        for code in props.get("indicators", []):
            if code != MASK:
                evidence.add(person, code, str(e["id"]))


def _documents(
    evidence: _Evidence,
    items: list[Mapping[str, Any]],
    persons: Mapping[str, Props],
    who: Mapping[str, str],
) -> None:
    reported = {
        normalise("document", n): str(e["id"])
        for e in items
        if e["schema"] == "DocumentReport"
        and first(e.get("properties", {}), "reportStatus", "") in ("stolen", "lost", "forged")
        for n in e.get("properties", {}).get("documentNumber", [])
    }
    reported.pop("", None)
    for pid, props in persons.items():
        for number in props.get("passportNumber", []):
            report = reported.get(normalise("document", number))
            if report:
                evidence.add(who[pid], "unodc-false-documents", report)


def _travel(
    evidence: _Evidence,
    items: list[Mapping[str, Any]],
    persons: Mapping[str, Props],
    who: Mapping[str, str],
    suspects: set[str],
) -> None:
    on_trip: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in items:
        if e["schema"] != "BorderCrossing":
            continue
        props: Props = e.get("properties", {})
        traveller = first(props, "traveller", "")
        if traveller not in persons:
            continue
        trip = first(props, "trip", "")
        if trip:
            on_trip[trip][who[traveller]].add(str(e["id"]))
        birth, date = first(persons[traveller], "birthDate", ""), first(props, "date", "")
        if len(birth) >= 10 and len(date) >= 10 and _age(birth, date) < 18:
            evidence.add(who[traveller], "unodc-child-travelling", str(e["id"]))
    # Evidence cites the crossings (records the viewer reads), not the trip: a trip can
    # be another agency's record that only its reference in a shared crossing reveals.
    for people in on_trip.values():
        led = set(people) & suspects
        for person in set(people) - suspects:
            for crossing in sorted(people[person] | {c for s in led for c in people[s]}):
                if led:
                    evidence.add(person, "unodc-travel-arranged-by-others", crossing)


def _age(birth: str, on: str) -> int:
    years = int(on[:4]) - int(birth[:4])
    return years - (on[5:10] < birth[5:10])


def _housing(
    evidence: _Evidence,
    persons: Mapping[str, Props],
    who: Mapping[str, str],
    suspects: set[str],
    own: Mapping[str, Marking],
) -> None:
    living: dict[str, set[str]] = defaultdict(set)
    for pid, props in persons.items():
        for address in props.get("address", []):
            key = normalise("address", address)
            if key:
                living[key].add(who[pid])
    for key, people in living.items():
        others = people - suspects
        if people & suspects or len(others) >= 4:
            # the cited "record" is the address: its inputs are everyone living there
            evidence.markings[f"address:{key}"] = merge(own[p] for p in people if p in own)
            for person in others:
                evidence.add(person, "unodc-employer-provided-housing", f"address:{key}")


def _statements(
    evidence: _Evidence, items: list[Mapping[str, Any]], who: Mapping[str, str]
) -> None:
    for e in items:
        props: Props = e.get("properties", {})
        if e["schema"] == "Associate" and first(props, "relationship", "") in NAMED_RELATIONS:
            evidence.add(who.get(first(props, "person", ""), ""), "unodc-named-recruiter", e["id"])
