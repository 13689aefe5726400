"""One MRZ check for every entry point (CLI, API, web): read the zone, then screen its number.

A border officer scans the machine-readable zone, not the number alone: the check digits,
dates and state codes say whether the zone is genuine and current (`palermo.match.mrz`),
and the document number then goes through the same stolen/lost/revoked lookup as
``screen document``. Both answers come back together, so neither can be forgotten. Every
entry point (CLI, API, web page, a manifest row's ``mrz`` column) reads zones through
:func:`read_mrz`, so they agree on the layout (``layout``: TD1, TD2, TD3, MRV-A, MRV-B, FR-ID)
and on what is unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from followthemoney.types import registry

from palermo.match.mrz import MRZ, MRZError, UnsupportedLayout, parse_mrz
from palermo.match.screening import DocumentCheck, ScreeningIndex

MAX_MRZ_CHARS = 200  # three lines of 30 or two of 44, with room for line breaks and spaces


@dataclass(frozen=True)
class MRZCheck:
    mrz: MRZ
    document: DocumentCheck
    today: date

    @property
    def verdict(self) -> str:
        """``reported`` (stolen, lost, ...) beats ``invalid`` (failed checks or expired)."""
        if self.document.status != "clear":
            return "reported"
        return "valid" if self.mrz.valid else "invalid"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the CLI's ``--json`` and the API."""
        m = self.mrz
        return {
            "verdict": self.verdict,
            "valid": m.valid,
            "expired": m.expired,
            "layout": m.layout,
            "format": m.layout,
            "document_type": m.document_type,
            "issuing_state": m.issuing_state,
            "document_number": m.document_number,
            "surname": m.surname,
            "given_names": m.given_names,
            "nationality": m.nationality,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None,
            "sex": m.sex,
            "expiry_date": m.expiry_date.isoformat() if m.expiry_date else None,
            "issue_month": f"{m.issue_month:%Y-%m}" if m.issue_month else None,
            "optional_data": m.optional_data,
            "problems": [{"field": p.field, "reason": p.reason} for p in m.problems],
            "document": {
                "number": self.document.number,
                "status": self.document.status,
                "agencies": sorted({h.agency for h in self.document.hits}),
                "age_days": self.document.age_days(self.today),
            },
        }

    def audit_detail(self) -> dict[str, Any]:
        """What the audit row keeps: the outcome and the reports returned (records read)."""
        return {
            "verdict": self.verdict,
            "status": self.document.status,
            "problems": [p.field for p in self.mrz.problems],
            "reports": sorted({h.entity_id for h in self.document.hits}),
        }


def read_mrz(text: str, today: date | None = None) -> MRZ:
    """Parse ``text``; raises :class:`palermo.match.mrz.MRZError` for a zone that cannot be
    read and its subclass ``UnsupportedLayout`` for one of no supported layout (a driving
    licence, an unknown document code). Cheap, so entry points call it before building a
    screening index."""
    if len(text) > MAX_MRZ_CHARS:
        raise UnsupportedLayout(None, None, f"{len(text)} characters: an MRZ has at most 90")
    return parse_mrz(text, today or date.today())


def screen_mrz(index: ScreeningIndex, mrz: MRZ, today: date | None = None) -> MRZCheck:
    """A read zone with its document number checked against the reports ``index`` holds."""
    return MRZCheck(mrz, index.check_document(mrz.document_number), today or date.today())


def check_mrz(index: ScreeningIndex, text: str, today: date | None = None) -> MRZCheck:
    """:func:`read_mrz` then :func:`screen_mrz`."""
    return screen_mrz(index, read_mrz(text, today), today)


def summary_lines(check: MRZCheck) -> list[str]:
    """The human answer, first line the verdict: what a terminal or a page shows."""
    m, doc = check.mrz, check.document
    name = f"{m.surname}, {m.given_names}".strip(", ")
    lines = [f"{m.layout} {m.document_type} {m.document_number or '(no number)'}: {check.verdict}"]
    lines.append(f"holder: {name} ({m.nationality}), born {m.birth_date or '?'}, sex {m.sex}")
    issued = f" in {m.issue_month:%Y-%m}" if m.issue_month else ""
    lines.append(f"issued by {m.issuing_state}{issued}, expires {m.expiry_date or '?'}")
    lines += [f"problem: {p.field}: {p.reason}" for p in m.problems]
    if doc.status != "clear":
        agencies = ", ".join(sorted({h.agency for h in doc.hits}))
        lines.append(f"document {doc.number}: {doc.status} (reported by {agencies})")
    else:
        lines.append(f"document {doc.number or '(no number)'}: not reported")
    return lines


def passenger_fields(mrz: MRZ) -> dict[str, str]:
    """A manifest row's fields from a read zone (``palermo.match.manifest`` column names),
    so a passenger given only by the MRZ a gate scanned is screened like a typed one."""
    return {
        "surname": mrz.surname,
        "given_names": mrz.given_names,
        "birth_date": mrz.birth_date.isoformat() if mrz.birth_date else "",
        "nationality": _country(mrz.nationality),
        "sex": mrz.sex if mrz.sex in ("M", "F", "X") else "",
        "document_number": mrz.document_number,
        "document_country": _country(mrz.issuing_state),
    }


def _country(icao: str) -> str:
    """FtM's country code for an ICAO one (UKR -> ua; Germany's ICAO code is D)."""
    return "de" if icao == "D" else registry.country.clean(icao) or ""


def mrz_row(
    row: Mapping[str, Any], today: date | None = None
) -> tuple[Mapping[str, Any], MRZ | None]:
    """A manifest row with an ``mrz`` column: the zone read by :func:`read_mrz`, its fields
    filling the row's empty ones (what the row states itself wins). A zone that cannot be
    read is a ``ValueError`` naming ``mrz``, i.e. a bad row like any other bad field."""
    text = str(row.get("mrz") or "").strip()
    if not text:
        return row, None
    try:
        zone = read_mrz(text, today)
    except MRZError as exc:
        raise ValueError(f"mrz: {exc}") from None
    stated = {k: v for k, v in row.items() if k != "mrz" and str(v or "").strip()}
    if "name" in stated:  # a stated full name replaces the zone's two name fields
        stated |= {"surname": "", "given_names": ""}
    return {**passenger_fields(zone), **stated}, zone


def mrz_reasons(zone: MRZ) -> list[str]:
    """A manifest passenger's reasons from the zone's failed checks, naming the layout."""
    return [f"MRZ ({zone.layout}) {p.field}: {p.reason}" for p in zone.problems]
