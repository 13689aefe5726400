"""The same-name rule: within one import, Person records with identical full names and no
contradicting field are one person.

A CSV names a person in every row it mentions them, often under a row number or a case
number rather than a key of the person; an analyst reads two rows saying "Paul Mondoloni"
as one man unless something says otherwise. Something says otherwise when both records
carry a value for a field that identifies and the values differ: birth date (a year is
compatible with a full date in it), sex, nationality, passport or ID number.

Merging is deterministic: records are taken in the order the file first mentions them;
each joins the first earlier record of its name it does not contradict (the *kept*
record) or starts a new one. The merged record's statements keep their own source record
id, so every value still says which row it came from, and the import report lists each
merge (kept id, merged id, name, lines). Only the import's own records take part: records
already stored, or other agencies' records, are cross-referencing's work (docs/import.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from palermo.model.statement import Statement

CONTRADICTING = ("birthDate", "gender", "nationality", "passportNumber", "idNumber")
IDENTIFIERS = ("passportNumber", "idNumber")


@dataclass(frozen=True)
class Merge:
    kept: str  # the agency's record id that stays
    merged: str  # the record id folded into it
    name: str
    lines: tuple[int, int]  # where the file first mentions each


@dataclass
class _Record:
    local_id: str
    line: int
    names: set[str] = field(default_factory=set)
    shown: str = ""
    fields: dict[str, set[str]] = field(default_factory=dict)


def name_key(value: str) -> str:
    """A full name compared as written, ignoring case, width forms and spacing."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _field_value(prop: str, value: str) -> str:
    if prop in IDENTIFIERS:
        return re.sub(r"[^0-9A-Z]", "", value.upper())
    return value


def _compatible(prop: str, left: set[str], right: set[str]) -> bool:
    if not left or not right:
        return True
    if prop == "birthDate":  # "1980" and "1980-02-03" agree; "1980" and "1981" do not
        return any(a.startswith(b) or b.startswith(a) for a in left for b in right)
    return bool(left & right)


class Consolidator:
    """Collects the Person records of one import, then decides the merges."""

    def __init__(self) -> None:
        self._records: dict[str, _Record] = {}

    def add(self, line: int, local_id: str, statements: Iterable[Statement]) -> None:
        """One Person record's statements (cleaned values) from ``line``."""
        record = self._records.setdefault(local_id, _Record(local_id, line))
        for s in statements:
            if s.prop == "name" and name_key(s.value):
                record.names.add(name_key(s.value))
                record.shown = record.shown or s.value
            elif s.prop in CONTRADICTING:
                record.fields.setdefault(s.prop, set()).add(_field_value(s.prop, s.value))

    def merges(self) -> list[Merge]:
        """Kept/merged pairs, in file order; a record never merges into a contradiction."""
        groups: dict[tuple[str, ...], list[list[_Record]]] = {}
        out: list[Merge] = []
        for record in self._records.values():
            if not record.names:
                continue
            clusters = groups.setdefault(tuple(sorted(record.names)), [])
            home = next((c for c in clusters if _fits(record, c)), None)
            if home is None:
                clusters.append([record])
                continue
            kept = home[0]
            home.append(record)
            out.append(Merge(kept.local_id, record.local_id, kept.shown, (kept.line, record.line)))
        return out


def _fits(record: _Record, cluster: list[_Record]) -> bool:
    return all(
        _compatible(prop, record.fields.get(prop, set()), other.fields.get(prop, set()))
        for other in cluster
        for prop in CONTRADICTING
    )


def id_map(merges: Iterable[Merge]) -> dict[str, str]:
    """Merged record id -> kept record id."""
    return {m.merged: m.kept for m in merges}
