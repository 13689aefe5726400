"""Victim statistics in the shape of the UNODC Global Report tables, and an HTML report.

Input is palermo entities (e.g. the CTDC loader's output or a viewer's export): victims
are counted once per `VictimRecord`, by form of exploitation (grouped as the Global Report
does: sexual exploitation, forced labour, other), sex and age group.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORM_GROUPS = (("sexual", "Sexual exploitation"), ("forced-labour", "Forced labour"))


@dataclass
class VictimStatistics:
    total: int = 0
    by_form: Counter[str] = field(default_factory=Counter)
    by_sex: Counter[str] = field(default_factory=Counter)
    by_age: Counter[str] = field(default_factory=Counter)
    by_country: Counter[str] = field(default_factory=Counter)


def form_groups(forms: Iterable[str]) -> set[str]:
    groups = set()
    for form in forms:
        group = next((label for prefix, label in FORM_GROUPS if form.startswith(prefix)), None)
        groups.add(group or "Other forms of exploitation")
    return groups


def victim_statistics(entities: Iterable[Mapping[str, Any]]) -> VictimStatistics:
    persons: dict[str, Mapping[str, list[str]]] = {}
    records: list[Mapping[str, list[str]]] = []
    for e in entities:
        if e.get("schema") == "Person":
            persons[str(e["id"])] = e.get("properties", {})
        elif e.get("schema") == "VictimRecord":
            records.append(e.get("properties", {}))
    stats = VictimStatistics()
    for record in records:
        stats.total += 1
        forms = record.get("exploitationForm", [])
        for group in form_groups(forms) if forms else ["Not reported"]:
            stats.by_form[group] += 1
        victim = persons.get((record.get("victim") or [""])[0], {})
        stats.by_sex[(victim.get("gender") or ["unknown"])[0]] += 1
        minor = (record.get("isMinor") or [""])[0]
        stats.by_age[{"true": "children", "false": "adults"}.get(minor, "unknown")] += 1
        for country in record.get("exploitationCountry", []) or ["unknown"]:
            stats.by_country[country] += 1
    return stats


def render_html(stats: VictimStatistics, title: str, source: str) -> str:
    def table(caption: str, counts: Counter[str]) -> str:
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(k)}</th><td>{v}</td>"
            f"<td>{100 * v / stats.total:.1f}%</td></tr>"
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return (
            f"<table><caption>{html.escape(caption)}</caption><thead><tr><th>category</th>"
            f"<th>victims</th><th>share</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    parts = [
        table("Detected victims by form of exploitation", stats.by_form),
        table("Detected victims by sex", stats.by_sex),
        table("Detected victims by age group", stats.by_age),
        table("Detected victims by country of exploitation", stats.by_country),
    ]
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{stats.total} victim records. Source: {html.escape(source)}. A victim may appear "
        f"under several forms of exploitation.</p>{''.join(parts)}</body></html>"
    )
