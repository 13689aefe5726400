"""Hotspots: where recruitment, transit and exploitation concentrate, and whether it matters.

Locations are aggregated to H3 cells (Uber's hexagonal grid; resolution 5 is about 250 km2
a cell, 7 about 5 km2). A cell is a hotspot when its neighbourhood holds significantly more
events than the study area on average -- the Getis-Ord Gi* statistic with the cell's ring
of neighbours, the standard test in crime mapping -- and, when a baseline period is given,
when the cell's count is significantly above what the baseline predicts (a one-sided
Poisson test on the count scaled to the period's total).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import h3

from palermo.analysis.statistics import first
from palermo.store.visibility import MASK

KINDS = ("recruitment", "transit", "exploitation")


@dataclass(frozen=True)
class Event:
    kind: str  # recruitment, transit, exploitation
    lat: float
    lon: float
    date: str
    record: str
    place: str = ""  # "Vinh (Nghe An), VN": the city and country, or the crossing point


@dataclass(frozen=True)
class Hotspot:
    cell: str
    lat: float
    lon: float
    count: int
    z: float  # Getis-Ord Gi*
    p: float  # two-sided p-value of z
    expected: float | None = None  # from the baseline period
    p_baseline: float | None = None  # P(count >= observed | baseline rate)
    place: str = ""  # the place most of its events name (analysts think in towns, not cells)

    @property
    def significant(self) -> bool:
        return self.z > 1.96 and (self.p_baseline is None or self.p_baseline < 0.05)


def _coords(props: Mapping[str, list[str]]) -> tuple[float, float] | None:
    try:
        lat, lon = float(first(props, "latitude", "")), float(first(props, "longitude", ""))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def place_of(props: Mapping[str, list[str]]) -> str:
    """A place's name as analysts say it: ``city, COUNTRY`` of an address (its full text
    when it names no city), or a border crossing point. Masked values name nothing."""
    fields = ("city", "country", "full", "crossingPoint")
    usable = {k: v for k in fields if (v := _readable(props, k))}
    if "city" in usable:
        country = usable.get("country", "").upper()
        return f"{usable['city']}, {country}" if country else usable["city"]
    return usable.get("crossingPoint") or usable.get("full", "")


def _readable(props: Mapping[str, list[str]], prop: str) -> str:
    value = first(props, prop, "").strip()
    return "" if value == MASK else value


def events(entities: Iterable[Mapping[str, Any]]) -> list[Event]:
    """Recruitment and exploitation places of victim records, border crossings as transit,
    and addresses that exploiters hold (safe houses) as exploitation."""
    items = list(entities)
    where = {
        str(e["id"]): (*c, place_of(e.get("properties", {})))
        for e in items
        if e.get("schema") == "Address" and (c := _coords(e.get("properties", {})))
    }
    named: set[str] = set()
    out: list[Event] = []
    for e in items:
        props: Mapping[str, list[str]] = e.get("properties", {})
        eid = str(e["id"])
        if e.get("schema") == "VictimRecord":
            date = first(props, "startDate", "") or first(props, "registrationYear", "")
            for kind in ("recruitment", "exploitation"):
                ref = first(props, f"{kind}Address", "")
                named.add(ref)
                if ref in where:
                    lat, lon, place = where[ref]
                    out.append(Event(kind, lat, lon, date, eid, place))
        elif e.get("schema") == "BorderCrossing" and (c := _coords(props)):
            out.append(Event("transit", *c, first(props, "date", ""), eid, place_of(props)))
    for eid, (lat, lon, place) in sorted(where.items()):
        if eid not in named:  # an address of its own (a safe house), not a victim's place
            out.append(Event("exploitation", lat, lon, "", eid, place))
    return out


def in_period(all_events: Iterable[Event], start: str = "", end: str = "") -> list[Event]:
    return [
        e
        for e in all_events
        if (not start or (e.date and e.date >= start)) and (not end or e.date[: len(end)] <= end)
    ]


def hotspots(
    all_events: Iterable[Event],
    kind: str | None = None,
    resolution: int = 5,
    baseline: Iterable[Event] | None = None,
) -> list[Hotspot]:
    """Cells of the given kind of event, most significant first."""
    chosen = [e for e in all_events if kind is None or e.kind == kind]
    cell_of = {e: h3.latlng_to_cell(e.lat, e.lon, resolution) for e in chosen}
    counts = Counter(cell_of.values())
    if not counts:
        return []
    places = _places(cell_of)
    area = set(counts)
    for cell in counts:
        area.update(h3.grid_disk(cell, 1))
    n = len(area)
    mean = sum(counts.values()) / n
    sd = math.sqrt(max(sum(counts.get(c, 0) ** 2 for c in area) / n - mean**2, 0.0))
    expected = _expected(counts, baseline, kind, resolution)
    out = []
    for cell, count in counts.items():
        ring = h3.grid_disk(cell, 1)
        w = len(ring)
        local = sum(counts.get(c, 0) for c in ring)
        denom = sd * math.sqrt((n * w - w * w) / (n - 1)) if n > 1 and sd > 0 else 0.0
        z = (local - mean * w) / denom if denom else 0.0
        lat, lon = h3.cell_to_latlng(cell)
        exp = expected.get(cell) if expected is not None else None
        out.append(
            Hotspot(
                cell,
                round(lat, 4),
                round(lon, 4),
                count,
                round(z, 3),
                math.erfc(abs(z) / math.sqrt(2)),
                None if exp is None else round(exp, 3),
                None if exp is None else poisson_sf(count, exp),
                places.get(cell, ""),
            )
        )
    return sorted(out, key=lambda h: (-h.z, -h.count, h.cell))


def _places(cell_of: Mapping[Event, str]) -> dict[str, str]:
    """Each cell's most named place (ties: the first alphabetically), so a hotspot reads
    "Lagos, NG" and not 85196953fffffff."""
    named: dict[str, Counter[str]] = {}
    for event, cell in cell_of.items():
        if event.place:
            named.setdefault(cell, Counter())[event.place] += 1
    return {cell: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for cell, c in named.items()}


def _expected(
    counts: Counter[str], baseline: Iterable[Event] | None, kind: str | None, resolution: int
) -> dict[str, float] | None:
    """Baseline counts per cell scaled to the period's total (+0.5 so new cells count)."""
    if baseline is None:
        return None
    base = Counter(
        h3.latlng_to_cell(e.lat, e.lon, resolution)
        for e in baseline
        if kind is None or e.kind == kind
    )
    cells = set(counts) | set(base)
    scale = sum(counts.values()) / (sum(base.values()) + 0.5 * len(cells))
    return {c: (base.get(c, 0) + 0.5) * scale for c in counts}


def poisson_sf(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected), summed in log space."""
    if observed <= 0:
        return 1.0
    log_term = -expected  # log P(X = 0)
    below = math.exp(log_term)
    for k in range(1, observed):
        log_term += math.log(expected) - math.log(k)
        below += math.exp(log_term)
    return max(0.0, 1.0 - below)
