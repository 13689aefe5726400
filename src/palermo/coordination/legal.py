"""National anti-trafficking laws coded against the Palermo Protocol's elements.

Each law says which acts, means and purposes it covers, whether means are needed, and
below which victim age (for which purposes) they are not. From that follow a comparison
of countries and a dual-criminality check of a case's facts. The shipped laws are
illustrative summaries (see laws/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LAWS = Path(__file__).parent / "laws"
ELEMENTS = ("acts", "means", "purposes")


@dataclass(frozen=True)
class Law:
    country: str
    name: str
    source: str
    acts: frozenset[str]
    means: frozenset[str]
    purposes: frozenset[str]
    means_required: bool
    no_means_below_age: int | None
    no_means_purposes: frozenset[str] | None
    penalty: dict[str, Any]
    protections: dict[str, Any]
    illustrative: bool = True


@dataclass(frozen=True)
class Facts:
    acts: frozenset[str] = frozenset()
    means: frozenset[str] = frozenset()
    purposes: frozenset[str] = frozenset()
    victim_age: int | None = None


@dataclass
class Finding:
    country: str
    criminal: bool
    reasons: list[str] = field(default_factory=list)


@cache
def laws() -> dict[str, Law]:
    out = {}
    for path in sorted(LAWS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["country"]] = _law(data)
    return out


def _law(data: dict[str, Any]) -> Law:
    special = data.get("no_means_purposes")
    return Law(
        country=data["country"],
        name=data["name"],
        source=data["source"],
        acts=frozenset(data["acts"]),
        means=frozenset(data["means"]),
        purposes=frozenset(data["purposes"]),
        means_required=bool(data["means_required"]),
        no_means_below_age=data.get("no_means_below_age"),
        no_means_purposes=frozenset(special) if special else None,
        penalty=data.get("penalty") or {},
        protections=data.get("protections") or {},
        illustrative=bool(data.get("illustrative", True)),
    )


def law(country: str) -> Law:
    found = laws().get(country.upper())
    if found is None:
        raise ValueError(f"country: no coded law for {country!r} (have {', '.join(laws())})")
    return found


def assess(facts: Facts, country: str) -> Finding:
    """Do these facts make out trafficking under this country's (coded) law?"""
    code = law(country)
    finding = Finding(code.country, True)
    if not facts.acts & code.acts:
        finding.criminal = False
        finding.reasons.append(f"no act it covers (covers: {', '.join(sorted(code.acts))})")
    purposes = facts.purposes & code.purposes
    if not purposes:
        finding.criminal = False
        finding.reasons.append(f"no purpose it covers (covers: {', '.join(sorted(code.purposes))})")
    if (
        code.means_required
        and not facts.means & code.means
        and not _child_exempt(code, facts, purposes)
    ):
        finding.criminal = False
        finding.reasons.append("means required and none of the facts' means is covered")
    if finding.criminal:
        finding.reasons.append(
            f"act, purpose{' and means' if code.means_required else ''} covered by {code.name}"
        )
    return finding


def _child_exempt(code: Law, facts: Facts, purposes: frozenset[str]) -> bool:
    if facts.victim_age is None or code.no_means_below_age is None:
        return False
    if facts.victim_age >= code.no_means_below_age:
        return False
    return code.no_means_purposes is None or bool(purposes & code.no_means_purposes)


def dual_criminality(facts: Facts, requesting: str, requested: str) -> tuple[bool, list[Finding]]:
    findings = [assess(facts, requesting), assess(facts, requested)]
    return all(f.criminal for f in findings), findings


def compare(countries: list[str]) -> list[dict[str, Any]]:
    """One row per element value on which the countries' laws differ."""
    coded = [law(c) for c in countries]
    rows: list[dict[str, Any]] = []
    for element in ELEMENTS:
        values = sorted(set().union(*(getattr(c, element) for c in coded)))
        for value in values:
            covered = {c.country: value in getattr(c, element) for c in coded}
            if len(set(covered.values())) > 1:
                rows.append({"element": element, "value": value, **covered})
    for attr in ("means_required", "no_means_below_age"):
        seen = {c.country: getattr(c, attr) for c in coded}
        if len(set(seen.values())) > 1:
            rows.append({"element": attr, "value": "", **seen})
    for key in ("non_punishment", "reflection_period_days", "residence_permit"):
        seen = {c.country: c.protections.get(key) for c in coded}
        if len({str(v) for v in seen.values()}) > 1:
            rows.append({"element": "protection", "value": key, **seen})
    return rows
