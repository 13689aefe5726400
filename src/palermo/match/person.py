"""Scoring a candidate person against a query, with an explanation per feature.

The score is a weighted mean over the features both sides have (a missing birth date
neither helps nor hurts), so partial records from the field still compare. Each feature
says what it compared and why it scored as it did; analysts see exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from palermo.match.mrz import normalise_document_number
from palermo.match.names import name_similarity

WEIGHTS = {"name": 0.5, "birth_date": 0.25, "document": 0.35, "nationality": 0.1, "sex": 0.05}
DOCUMENT_PROPS = ("passportNumber", "idNumber")


@dataclass(frozen=True)
class PersonRecord:
    id: str
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    sex: str | None = None
    documents: tuple[str, ...] = ()
    agency: str = ""


@dataclass(frozen=True)
class Feature:
    name: str
    score: float
    weight: float
    explanation: str


@dataclass(frozen=True)
class Score:
    value: float
    features: tuple[Feature, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        return "; ".join(f"{f.name} {f.score:.2f}: {f.explanation}" for f in self.features)


def person_record_from_entity(entity: Mapping[str, Any]) -> PersonRecord:
    """From an FtM-style dict ``{"id", "schema", "properties"}``."""
    props: Mapping[str, list[str]] = entity.get("properties", {})
    names = [*props.get("name", []), *props.get("alias", [])]
    if not names and (props.get("firstName") or props.get("lastName")):
        names = [" ".join([*props.get("firstName", []), *props.get("lastName", [])])]
    docs = [d for p in DOCUMENT_PROPS for d in props.get(p, [])]
    genders = props.get("gender") or []
    sex = genders[0] if genders else None
    return PersonRecord(
        str(entity["id"]),
        tuple(names),
        tuple(props.get("birthDate", [])),
        tuple(props.get("nationality", [])),
        sex,
        tuple(docs),
        str(entity.get("agency", "")),
    )


def date_similarity(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return 1.0, f"{a} equal"
    ya, yb = a[:4], b[:4]
    if len(a) < 10 or len(b) < 10:  # partial dates: compare what both have
        return (
            (0.7, f"{a} ~ {b}: same year, partial date")
            if ya == yb
            else (0.0, f"{a} vs {b}: different years")
        )
    ma, da, mb, db = a[5:7], a[8:10], b[5:7], b[8:10]
    if ya == yb and ma == db and da == mb:
        return 0.85, f"{a} ~ {b}: day and month swapped"
    if ma == mb and da == db and abs(int(ya) - int(yb)) == 1:
        return 0.75, f"{a} ~ {b}: year off by one"
    if ya == yb:
        return 0.35, f"{a} vs {b}: same year only"
    if abs(int(ya) - int(yb)) <= 1:
        return 0.15, f"{a} vs {b}: within a year"
    return 0.0, f"{a} vs {b}: different"


def _best(pairs: Sequence[tuple[float, str]]) -> tuple[float, str]:
    return max(pairs, key=lambda p: p[0])


def _name(query: PersonRecord, cand: PersonRecord) -> Feature:
    score, a, b = max(
        ((name_similarity(a, b), a, b) for a in query.names for b in cand.names),
        default=(0.0, "", ""),
    )
    return Feature("name", score, WEIGHTS["name"], f"{a!r} ~ {b!r}")


def score_person(query: PersonRecord, cand: PersonRecord) -> Score:
    features = [_name(query, cand)]
    if query.birth_dates and cand.birth_dates:
        s, why = _best([date_similarity(a, b) for a in query.birth_dates for b in cand.birth_dates])
        features.append(Feature("birth_date", s, WEIGHTS["birth_date"], why))
    if query.documents and cand.documents:
        qa = {normalise_document_number(d) for d in query.documents}
        ca = {normalise_document_number(d) for d in cand.documents}
        same = qa & ca
        features.append(
            Feature(
                "document",
                1.0 if same else 0.0,
                WEIGHTS["document"],
                f"{sorted(same)[0]} on both" if same else "different numbers",
            )
        )
    if query.nationalities and cand.nationalities:
        same = {n.lower() for n in query.nationalities} & {n.lower() for n in cand.nationalities}
        features.append(
            Feature(
                "nationality",
                1.0 if same else 0.0,
                WEIGHTS["nationality"],
                "shared" if same else "different",
            )
        )
    if query.sex and cand.sex:
        same_sex = query.sex == cand.sex
        features.append(
            Feature(
                "sex", 1.0 if same_sex else 0.0, WEIGHTS["sex"], "same" if same_sex else "different"
            )
        )
    total = sum(f.weight for f in features)
    value = sum(f.score * f.weight for f in features) / total
    if any(f.name == "document" and f.score == 1.0 for f in features):
        value = max(value, 0.9)  # the same travel document is strong evidence by itself
    return Score(round(value, 4), tuple(features))
