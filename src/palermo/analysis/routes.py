"""Routes: origin -> transit -> destination flows, from border crossings and victim records.

A person's route is put together per resolved identity: the country of recruitment and of
exploitation come from victim records, the transit countries from the border crossings
that the identity's records made (ordered by date). One agency rarely sees a whole route;
after cross-referencing, the NGO's victim record (TH -> DE) and the Dutch border guards'
entry at Schiphol (TH -> NL) are one route TH -> NL -> DE.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo.analysis.statistics import first

Props = Mapping[str, list[str]]


@dataclass(frozen=True)
class Flow:
    origin: str
    transit: tuple[str, ...]
    destination: str
    form: str
    date: str  # earliest date known for the route, "" if none
    identity: str

    @property
    def route(self) -> str:
        return " -> ".join((self.origin, *self.transit, self.destination)).upper()


@dataclass
class _Trail:
    origin: str = ""
    destination: str = ""
    form: str = ""
    dates: list[str] = field(default_factory=list)
    legs: list[tuple[str, str, str]] = field(default_factory=list)  # date, from, to


def flows(
    entities: Iterable[Mapping[str, Any]], identity_of: Mapping[str, str] | None = None
) -> list[Flow]:
    """One flow per identity that has a victim record or a border crossing."""
    ident = identity_of or {}
    trails: dict[str, _Trail] = {}
    for e in entities:
        props: Props = e.get("properties", {})
        if e.get("schema") == "VictimRecord":
            trail = trails.setdefault(_who(ident, props, "victim"), _Trail())
            trail.origin = trail.origin or first(props, "recruitmentCountry", "")
            trail.destination = trail.destination or first(props, "exploitationCountry", "")
            trail.form = trail.form or first(props, "exploitationForm", "")
            trail.dates += [d for d in (first(props, "startDate", ""),) if d]
        elif e.get("schema") == "BorderCrossing":
            trail = trails.setdefault(_who(ident, props, "traveller"), _Trail())
            date = first(props, "date", "")
            trail.legs.append(
                (date, first(props, "fromCountry", ""), first(props, "toCountry", ""))
            )
            trail.dates += [date] if date else []
    return [f for who, t in sorted(trails.items()) if who and (f := _flow(who, t))]


def _who(ident: Mapping[str, str], props: Props, prop: str) -> str:
    record = first(props, prop, "")
    return ident.get(record, record)


def _flow(identity: str, trail: _Trail) -> Flow | None:
    chain: list[str] = []
    for _, src, dst in sorted(trail.legs):
        for country in (src, dst):
            if country and (not chain or chain[-1] != country):
                chain.append(country)
    origin = trail.origin or (chain[0] if chain else "")
    destination = trail.destination or (chain[-1] if chain else "")
    if not origin or not destination:
        return None
    transit = tuple(c for c in dict.fromkeys(chain) if c not in (origin, destination))
    date = min(trail.dates) if trail.dates else ""
    return Flow(origin, transit, destination, trail.form or "unknown", date, identity)


def top_routes(
    all_flows: Iterable[Flow], form: str | None = None, top: int = 10
) -> list[tuple[str, int]]:
    counts = Counter(f.route for f in all_flows if form is None or f.form.startswith(form))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def routes_by_form(all_flows: Iterable[Flow]) -> dict[str, list[tuple[str, int]]]:
    grouped: dict[str, list[Flow]] = {}
    for f in all_flows:
        grouped.setdefault(f.form, []).append(f)
    return {form: top_routes(fs, top=5) for form, fs in sorted(grouped.items())}


def new_routes(all_flows: Iterable[Flow], start: str, end: str) -> list[tuple[str, int, str]]:
    """Routes first seen in [start, end]: (route, flows in the period, first date)."""
    earliest: dict[str, str] = {}
    in_period: Counter[str] = Counter()
    for f in all_flows:
        if not f.date:
            continue
        earliest[f.route] = min(earliest.get(f.route, f.date), f.date)
        if start <= f.date[: len(end)] <= end:
            in_period[f.route] += 1
    return sorted(
        ((r, n, earliest[r]) for r, n in in_period.items() if earliest[r] >= start),
        key=lambda t: (-t[1], t[0]),
    )
