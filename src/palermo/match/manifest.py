"""Passenger manifests (CSV or PNR-like JSON): every passenger screened in one call.

Each passenger gets a document check and a person screening; the manifest comes back
sorted by risk. A malformed row is reported with its row number, field and reason and
does not stop the others.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from palermo.match.mrz_check import mrz_reasons, mrz_row
from palermo.match.person import PersonRecord
from palermo.match.screening import Candidate, DocumentCheck, ScreeningIndex

DOC_RISK = {
    "stolen": 1.0,
    "stolen-blank": 1.0,
    "forged": 1.0,
    "revoked": 0.8,
    "invalidated": 0.8,
    "lost": 0.7,
}
MANIFEST_THRESHOLD = 0.75  # stricter than screening one person: ADR 0010
FIELDS = ("name", "birth_date", "nationality", "sex", "document_number")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass
class PassengerResult:
    row: int
    passenger: PersonRecord
    document: DocumentCheck | None
    candidates: list[Candidate]
    risk: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class ManifestResult:
    passengers: list[PassengerResult]
    errors: list[RowError]


def _date(value: str) -> str:
    text = value.strip()
    match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    if match:
        day, month, year = match.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}"
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:  # ISO written without zero padding (1969-7-16), as spreadsheets export it
        year, month, day = match.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        elif not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", text):
            raise ValueError
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
    return text


def passenger(row: Mapping[str, Any], number: int) -> PersonRecord:
    name = str(
        row.get("name") or " ".join(str(row.get(k) or "") for k in ("given_names", "surname"))
    ).strip()
    if not name:
        raise ValueError("name: missing (give name, or given_names and surname)")
    birth = str(row.get("birth_date") or "").strip()
    try:
        dates = (_date(birth),) if birth else ()
    except ValueError as exc:
        raise ValueError(f"birth_date: {exc}") from None
    sex = str(row.get("sex") or "").strip().upper()[:1]
    if sex and sex not in "MFX":
        raise ValueError(f"sex: {row.get('sex')!r} is not M, F or X")
    doc = str(row.get("document_number") or "").strip()
    nationality = str(row.get("nationality") or "").strip().lower()
    return PersonRecord(
        f"row-{number}",
        (name,),
        dates,
        (nationality,) if nationality else (),
        {"M": "male", "F": "female", "X": "other"}.get(sex),
        (doc,) if doc else (),
        given_names=given_names(row, name),
    )


def given_names(row: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """The given names when the row says which they are: a ``given_names`` column, or a
    name written "SURNAME, Given" as manifests and MRZ readers do. Scoring compares them
    only when the candidate states its own (a contradiction there counts against)."""
    given = str(row.get("given_names") or "").strip()
    if not given and name.count(",") == 1:
        given = name.split(",")[1].strip()
    return (given,) if given else ()


def read_csv(text: str) -> list[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    return [(n, row) for n, row in enumerate(reader, start=2)]


def screen_manifest(
    index: ScreeningIndex,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    threshold: float = MANIFEST_THRESHOLD,
) -> ManifestResult:
    results, errors = [], []
    for number, row in rows:
        try:
            row, zone = mrz_row(row)  # a machine-readable zone, read by the one MRZ parser
            person = passenger(row, number)
        except ValueError as exc:
            field_name, _, reason = str(exc).partition(": ")
            errors.append(RowError(number, field_name, reason))
            continue
        result = _screen_one(index, person, number, threshold)
        if zone is not None:
            result.reasons += mrz_reasons(zone)
        results.append(result)
    results.sort(key=lambda r: (-r.risk, r.row))
    return ManifestResult(results, errors)


def _screen_one(
    index: ScreeningIndex, person: PersonRecord, number: int, threshold: float
) -> PassengerResult:
    doc = index.check_document(person.documents[0]) if person.documents else None
    candidates = index.screen(person, limit=5, threshold=threshold)
    reasons, risk = [], 0.0
    if doc is not None and doc.status != "clear":
        risk = DOC_RISK.get(doc.status, 0.7)
        reasons.append(
            f"document {doc.number} reported {doc.status} by "
            f"{', '.join(sorted({h.agency for h in doc.hits}))}"
        )
    for cand in candidates:
        if cand.flags:
            risk = max(risk, cand.risk)
            reasons.append(
                f"matches {cand.person.id} ({cand.score.value:.2f}): {', '.join(cand.flags)}"
            )
    return PassengerResult(number, person, doc, candidates, round(risk, 4), reasons)
