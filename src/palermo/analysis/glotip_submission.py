"""A country's answer to UNODC's GLOTIP questionnaire, counted from one agency's own records.

Every year each country reports detected victims by sex, age, form of exploitation and
citizenship, and the persons brought into formal contact with the police, in the categories
of the GLOTIP export (ICS-TIP / ICCS: sexual exploitation, forced labour, other forms;
"0 to 17 years" / "18 years or over"), and the persons prosecuted and convicted. Today that
is done by hand from case files; here it is counted from the node's victim records, suspect
records and court-outcome records (`CourtOutcome`), one row per cell in the layout of the
GLOTIP export, so that `palermo.datasets.glotip` loads the file back.

Rules:
- Only the acting agency's own records are counted (a node answers for its own agency, not
  for what partners shared with it), and only what the viewer may read (`Store.export`).
- Victim tables need the victim-support role: victim records are victim-sensitive and read
  masked without it, so a viewer without the role gets the suspect table only and the
  submission says the victim tables were withheld (no count is built from masked values).
- Counts from 1 to 4 are published as "<5", as UNODC publishes them.
- Persons prosecuted and convicted count persons, not court outcomes: a defendant named by
  several outcomes in the year counts once (the cell traces to the first outcome's id).
- Every cell keeps the ids of the records behind it (`Cell.records`, the CLI's `--trace`);
  they are the acting agency's own ids, never a partner's.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
from followthemoney import registry

from palermo.analysis.statistics import SUSPECT_TOPIC, age_group, first, form_groups, record_year
from palermo.datasets.glotip import CONVICTED, HEADER, PROSECUTED, SHEET, VICTIMS

if TYPE_CHECKING:
    from palermo.access.viewer import Viewer
    from palermo.store.store import Store

CONTACT = "Persons brought into formal contact"
SEX = {"female": "Female", "male": "Male", "other": "Other"}
AGE = {"children": "0 to 17 years", "adults": "18 years or over"}
SMALL = 5  # counts below this are published as "<5"
TOTAL = "Total"
FORM_DIMENSION = "by form of exploitation"


@dataclass(frozen=True)
class CellKey:
    indicator: str
    dimension: str
    category: str
    sex: str
    age: str


@dataclass(frozen=True)
class Cell:
    key: CellKey
    records: tuple[str, ...]  # the ids of the records counted, sorted

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def text(self) -> str:
        """As published: "<5" for 1 to 4, else the count with thousands separators."""
        return f"<{SMALL}" if 0 < self.count < SMALL else f"{self.count:,}"


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    region: str
    subregion: str


@dataclass
class Submission:
    agency: str
    country: Country
    year: int | None  # None: every year together
    cells: list[Cell] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)  # tables left out, and why

    def cell(self, key: CellKey) -> Cell | None:
        return next((c for c in self.cells if c.key == key), None)

    def rows(self) -> list[list[str]]:
        """The cells in the GLOTIP export's columns (HEADER)."""
        c, year = self.country, "" if self.year is None else str(self.year)
        return [
            [c.iso3, c.name, c.region, c.subregion, k.indicator, k.dimension, k.category,
             k.sex, k.age, year, "Counts", cell.text, f"palermo:{self.agency}"]
            for cell in self.cells
            for k in [cell.key]
        ]  # fmt: skip


def _victim_sex(victim: Mapping[str, list[str]]) -> str:
    return SEX.get(first(victim, "gender"), "Unknown")


def _combos(sex: str, age: str) -> list[tuple[str, str]]:
    """The sex x age cells a victim falls in: totals and each known breakdown."""
    if sex == "Unknown" and age == "Unknown":
        return [(TOTAL, TOTAL), ("Unknown", "Unknown")]
    out = [(TOTAL, TOTAL)]
    if sex != "Unknown":
        out.append((sex, TOTAL))
    if age != "Unknown":
        out.append((TOTAL, age))
    if sex != "Unknown" and age != "Unknown":
        out.append((sex, age))
    return out


def _citizenship(victim: Mapping[str, list[str]]) -> str:
    code = first(victim, "nationality", "")
    return (registry.country.caption(code) or code.upper()) if code else "Unknown"


def _own(entity: Mapping[str, Any], agency: str) -> bool:
    return agency in str(entity.get("agency") or "").split(",")


def _in_year(year: int | None, found: str) -> bool:
    return year is None or found == str(year)


def _own_persons(items: Iterable[Mapping[str, Any]], agency: str) -> dict[str, Any]:
    """Record id -> properties of the agency's own Person records."""
    return {
        str(e["id"]): e.get("properties", {})
        for e in items
        if e["schema"] == "Person" and _own(e, agency)
    }


def victim_cells(
    entities: Iterable[Mapping[str, Any]], agency: str, year: int | None
) -> dict[CellKey, list[str]]:
    """Detected victims by sex x age, by form of exploitation (x sex x age) and citizenship."""
    items = [e for e in entities if _own(e, agency)]
    persons = _own_persons(items, agency)
    cells: dict[CellKey, list[str]] = defaultdict(list)
    for e in items:
        props = e.get("properties", {})
        if e["schema"] != "VictimRecord" or not _in_year(year, record_year(props)):
            continue
        victim = persons.get(first(props, "victim", ""), {})
        sex, age = _victim_sex(victim), AGE.get(age_group(props, victim), "Unknown")
        forms = form_groups(props.get("exploitationForm", []))
        for s, a in _combos(sex, age):
            cells[CellKey(VICTIMS, TOTAL, TOTAL, s, a)].append(str(e["id"]))
            for form in sorted(forms):
                cells[CellKey(VICTIMS, FORM_DIMENSION, form, s, a)].append(str(e["id"]))
        citizenship = CellKey(VICTIMS, "by citizenship", _citizenship(victim), TOTAL, TOTAL)
        cells[citizenship].append(str(e["id"]))
    return cells


def _entity_year(props: Mapping[str, list[str]]) -> str:
    for prop in ("createdAt", "modifiedAt", "startDate"):
        value = first(props, prop, "")
        if value[:4].isdigit():
            return value[:4]
    return "unknown"


def suspect_cells(
    entities: Iterable[Mapping[str, Any]], agency: str, year: int | None
) -> dict[CellKey, list[str]]:
    """Persons brought into formal contact (suspect records) by sex. A suspect record with
    no date (createdAt, modifiedAt) is counted only in an all-years submission."""
    cells: dict[CellKey, list[str]] = defaultdict(list)
    for e in entities:
        props = e.get("properties", {})
        if e["schema"] != "Person" or SUSPECT_TOPIC not in props.get("topics", []):
            continue
        if not _own(e, agency) or not _in_year(year, _entity_year(props)):
            continue
        sex = SEX.get(first(props, "gender"), "Unknown")
        for s in (TOTAL, sex):
            cells[CellKey(CONTACT, TOTAL, TOTAL, s, TOTAL)].append(str(e["id"]))
    return cells


def _court_events(props: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """(indicator, year) for what one court outcome says: prosecuted in the year of its
    prosecution date; convicted in the year of its verdict date when the verdict is a
    conviction. A missing date reads "unknown" (counted only in an all-years submission)."""

    def year_of(prop: str) -> str:
        value = first(props, prop, "")
        return value[:4] if value[:4].isdigit() else "unknown"

    events = [(PROSECUTED, year_of("prosecutionDate"))]
    if first(props, "verdict", "").lower() == "convicted":
        events.append((CONVICTED, year_of("verdictDate")))
    return events


def court_cells(
    entities: Iterable[Mapping[str, Any]], agency: str, year: int | None
) -> dict[CellKey, list[str]]:
    """Persons prosecuted and persons convicted, in total and by the defendant's sex;
    persons convicted also by form of exploitation, as in the GLOTIP export.

    Only the agency's own court outcomes about its own person records count; a person named
    by several outcomes counts once per indicator, traced to the first outcome (by id)."""
    items = [e for e in entities if _own(e, agency)]
    persons = _own_persons(items, agency)
    seen: dict[str, dict[str, Mapping[str, Any]]] = {PROSECUTED: {}, CONVICTED: {}}
    for e in sorted(items, key=lambda e: str(e["id"])):
        props = e.get("properties", {})
        defendant = first(props, "defendant", "")
        if e["schema"] != "CourtOutcome" or defendant not in persons:
            continue
        for indicator, found in _court_events(props):
            if _in_year(year, found):
                seen[indicator].setdefault(defendant, e)  # defendant -> first outcome
    cells: dict[CellKey, list[str]] = defaultdict(list)
    for indicator, outcomes in seen.items():
        for defendant, outcome in outcomes.items():
            oid, sex = str(outcome["id"]), SEX.get(first(persons[defendant], "gender"), "Unknown")
            for s in (TOTAL, sex):
                cells[CellKey(indicator, TOTAL, TOTAL, s, TOTAL)].append(oid)
            if indicator == CONVICTED:
                forms = outcome.get("properties", {}).get("exploitationForm", [])
                for form in sorted(form_groups(forms)):
                    cells[CellKey(indicator, FORM_DIMENSION, form, TOTAL, TOTAL)].append(oid)
    return cells


def build(
    entities: Iterable[Mapping[str, Any]], agency: str, country: Country, year: int | None,
    victim_details: bool,
) -> Submission:  # fmt: skip
    """The questionnaire's tables for AGENCY. ``victim_details``: the viewer holds the
    victim-support role; without it the victim tables are withheld, not built from masks."""
    items = list(entities)
    sub = Submission(agency, country, year)
    found: dict[CellKey, list[str]] = dict(suspect_cells(items, agency, year))
    found |= court_cells(items, agency, year)
    if victim_details:
        found |= victim_cells(items, agency, year)
    else:
        sub.withheld.append(
            "detected victims: victim records are victim-sensitive; the victim-support role "
            "is needed to count them"
        )
    order = sorted(found, key=lambda k: (k.indicator, k.dimension != TOTAL, k.dimension,
                                         k.category, k.sex, k.age))  # fmt: skip
    sub.cells = [Cell(k, tuple(sorted(found[k]))) for k in order]
    return sub


def trace(sub: Submission, key: CellKey) -> list[str]:
    """The ids of the records behind one cell (the acting agency's own records)."""
    cell = sub.cell(key)
    if cell is None:
        raise KeyError(f"--trace: no cell {key.indicator}/{key.dimension}/{key.category}/"
                       f"{key.sex}/{key.age} in this submission")  # fmt: skip
    return list(cell.records)


def parse_cell(text: str) -> CellKey:
    """'INDICATOR/DIMENSION/CATEGORY/SEX/AGE' -> CellKey; a wrong shape names the field."""
    parts = text.split("/")
    if len(parts) != 5:
        raise ValueError(
            f"--trace: {text!r} must be INDICATOR/DIMENSION/CATEGORY/SEX/AGE, "
            "e.g. 'Detected trafficking victims/Total/Total/Female/Total'"
        )
    return CellKey(*parts)


def to_csv(sub: Submission) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(sub.rows())
    return out.getvalue()


def write_xlsx(sub: Submission, path: Path) -> None:
    """The GLOTIP export's layout: sheet data_glotip_1, a title and a date row, the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    year = "all years" if sub.year is None else str(sub.year)
    sheet.append([f"GLOTIP questionnaire answer of {sub.agency} ({sub.country.name}), {year}"])
    sheet.append(["generated by palermo"])
    sheet.append(list(HEADER))
    for row in sub.rows():
        sheet.append(row)
    book.save(path)


def country_of(code: str) -> Country:
    """The GLOTIP country columns for an ISO 3166 code (rigour's territory data).

    Raises ValueError naming the code when it is not a country."""
    from rigour.territories import get_territory

    territory = get_territory(code.lower())
    if territory is None or not territory.alpha3:
        raise ValueError(f"country: {code!r} is not an ISO 3166 country code")
    return Country(
        territory.alpha3.upper(), territory.name, territory.region or "", territory.subregion or ""
    )


def from_store(store: Store, viewer: Viewer, year: int | None) -> Submission:
    """The submission of the viewer's agency from what the viewer may read in the store
    (every read audited). Victim tables only for a viewer with the victim-support role."""
    from palermo.analysis.service import visible

    viewer.require_data_role("build a GLOTIP submission")
    agency = next((a for a in store.agencies() if a.code == viewer.agency), None)
    if agency is None:
        raise ValueError(f"agency: {viewer.agency!r} is not in this node's directory")
    entities = visible(store, viewer, schemata=("Person", "VictimRecord", "CourtOutcome"))
    return build(entities, viewer.agency, country_of(agency.country), year,
                 viewer.sees_victim_details)  # fmt: skip
