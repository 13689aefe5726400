"""Counts of detected victims and suspects in the shape of the UNODC Global Report tables.

Input is palermo entities (a viewer's export, or a loader's output such as CTDC's). Victims
are counted once per `VictimRecord`; suspects once per person record flagged with the
`crime.traffick.human` topic. The Global Report's categories are used: forms grouped as
sexual exploitation, forced labour and other; sex and age combined as women, men, girls
and boys; country of detection (where exploited) and citizenship kept apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo.store.visibility import MASK

FORM_GROUPS = (("sexual", "Sexual exploitation"), ("forced-labour", "Forced labour"))
SUSPECT_TOPIC = "crime.traffick.human"
Props = Mapping[str, list[str]]


@dataclass
class VictimStatistics:
    total: int = 0
    by_form: Counter[str] = field(default_factory=Counter)
    by_sex: Counter[str] = field(default_factory=Counter)
    by_age: Counter[str] = field(default_factory=Counter)
    by_sex_age: Counter[str] = field(default_factory=Counter)  # women, men, girls, boys
    by_country: Counter[str] = field(default_factory=Counter)  # country of exploitation
    by_citizenship: Counter[str] = field(default_factory=Counter)
    by_year: Counter[str] = field(default_factory=Counter)
    by_year_form: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass
class SuspectStatistics:
    total: int = 0
    by_sex: Counter[str] = field(default_factory=Counter)
    by_citizenship: Counter[str] = field(default_factory=Counter)
    by_agency: Counter[str] = field(default_factory=Counter)


def form_groups(forms: Iterable[str]) -> set[str]:
    groups = set()
    for form in forms:
        group = next((label for prefix, label in FORM_GROUPS if form.startswith(prefix)), None)
        groups.add(group or "Other forms of exploitation")
    return groups


def first(props: Props, prop: str, default: str = "unknown") -> str:
    value = next((v for v in props.get(prop, []) if v and v != MASK), None)
    return value or default


def age_group(record: Props, victim: Props) -> str:
    """children / adults from the record's minor flag, age band or the birth date."""
    minor = first(record, "isMinor", "")
    if minor in ("true", "false"):
        return "children" if minor == "true" else "adults"
    band = first(record, "ageBand", "")
    if band[:1].isdigit():
        return "children" if int(band.split("-")[0].split("+")[0]) < 18 else "adults"
    birth, year = first(victim, "birthDate", ""), first(record, "registrationYear", "")
    if birth[:4].isdigit() and year[:4].isdigit():
        return "children" if int(year[:4]) - int(birth[:4]) < 18 else "adults"
    return "unknown"


def sex_age(sex: str, age: str) -> str:
    table = {
        ("female", "adults"): "women",
        ("male", "adults"): "men",
        ("female", "children"): "girls",
        ("male", "children"): "boys",
    }
    return table.get((sex, age), "unknown")


def record_year(record: Props) -> str:
    for prop in ("registrationYear", "startDate", "date"):
        value = first(record, prop, "")
        if value[:4].isdigit():
            return value[:4]
    return "unknown"


def victim_statistics(entities: Iterable[Mapping[str, Any]]) -> VictimStatistics:
    persons: dict[str, Props] = {}
    records: list[Props] = []
    for e in entities:
        if e.get("schema") == "Person":
            persons[str(e["id"])] = e.get("properties", {})
        elif e.get("schema") == "VictimRecord":
            records.append(e.get("properties", {}))
    stats = VictimStatistics()
    for record in records:
        count_victim(stats, record, persons.get(first(record, "victim", ""), {}))
    return stats


def count_victim(stats: VictimStatistics, record: Props, victim: Props) -> None:
    stats.total += 1
    forms = [f for f in record.get("exploitationForm", []) if f != MASK]
    groups = form_groups(forms) if forms else {"Not reported"}
    year = record_year(record)
    for group in groups:
        stats.by_form[group] += 1
        stats.by_year_form[(year, group)] += 1
    sex, age = first(victim, "gender"), age_group(record, victim)
    stats.by_sex[sex] += 1
    stats.by_age[age] += 1
    stats.by_sex_age[sex_age(sex, age)] += 1
    stats.by_year[year] += 1
    for country in [c for c in record.get("exploitationCountry", []) if c != MASK] or ["unknown"]:
        stats.by_country[country] += 1
    stats.by_citizenship[first(victim, "nationality")] += 1


def suspect_statistics(entities: Iterable[Mapping[str, Any]]) -> SuspectStatistics:
    stats = SuspectStatistics()
    for e in entities:
        props: Props = e.get("properties", {})
        if e.get("schema") != "Person" or SUSPECT_TOPIC not in props.get("topics", []):
            continue
        stats.total += 1
        stats.by_sex[first(props, "gender")] += 1
        stats.by_citizenship[first(props, "nationality")] += 1
        for agency in str(e.get("agency") or "unknown").split(","):
            stats.by_agency[agency] += 1
    return stats
