"""One MRZ check for every entry point (CLI, API, web): read the zone, then screen its number.

A border officer scans the machine-readable zone, not the number alone: the check digits,
dates and state codes say whether the zone is genuine and current (`palermo.match.mrz`),
and the document number then goes through the same stolen/lost/revoked lookup as
``screen document``. Both answers come back together, so neither can be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from palermo.match.mrz import MRZ, UnsupportedLayout, parse_mrz
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
            "format": m.format,
            "document_type": m.document_type,
            "issuing_state": m.issuing_state,
            "document_number": m.document_number,
            "surname": m.surname,
            "given_names": m.given_names,
            "nationality": m.nationality,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None,
            "sex": m.sex,
            "expiry_date": m.expiry_date.isoformat() if m.expiry_date else None,
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
    read and its subclass ``UnsupportedLayout`` for one that is not TD1/TD2/TD3. Cheap, so
    entry points call it before building a screening index."""
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
    lines = [f"{m.format} {m.document_type} {m.document_number or '(no number)'}: {check.verdict}"]
    lines.append(f"holder: {name} ({m.nationality}), born {m.birth_date or '?'}, sex {m.sex}")
    lines.append(f"issued by {m.issuing_state}, expires {m.expiry_date or '?'}")
    lines += [f"problem: {p.field}: {p.reason}" for p in m.problems]
    if doc.status != "clear":
        agencies = ", ".join(sorted({h.agency for h in doc.hits}))
        lines.append(f"document {doc.number}: {doc.status} (reported by {agencies})")
    else:
        lines.append(f"document {doc.number or '(no number)'}: not reported")
    return lines
