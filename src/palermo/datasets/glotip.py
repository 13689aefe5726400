"""UNODC Global Report on Trafficking in Persons data (GLOTIP export, `data_glotip.xlsx`).

One typed record per row. Small counts are published as "<5": they keep their text and get
the bounds 0..4. Counts are text with thousands separators. A handful of cells in the
2025-04-14 export hold values such as "6,112,019" that look like dates turned into numbers;
counts above ``IMPLAUSIBLE`` are kept but flagged and left out of the tables.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl

SHEET = "data_glotip_1"
HEADER = (
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "txtVALUE",
    "Source",
)
IMPLAUSIBLE = 1_000_000
VICTIMS = "Detected trafficking victims"
PROSECUTED = "Persons prosecuted"
CONVICTED = "Persons convicted"


class GlotipError(ValueError):
    """A row that does not parse; names the row and the column."""


@dataclass(frozen=True)
class GlotipRecord:
    iso3: str
    country: str
    region: str
    subregion: str
    indicator: str
    dimension: str
    category: str
    sex: str
    age: str
    year: int
    unit: str
    text: str
    low: int
    high: int
    source: str

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @property
    def plausible(self) -> bool:
        return self.high < IMPLAUSIBLE


def parse_value(text: str) -> tuple[int, int]:
    """'<5' -> (0, 4); '1,192' -> (1192, 1192)."""
    text = text.strip()
    match = re.fullmatch(r"<\s*(\d+)", text)
    if match:
        return 0, int(match.group(1)) - 1
    if re.fullmatch(r"\d{1,3}(,\d{3})*|\d+", text):
        value = int(text.replace(",", ""))
        return value, value
    raise ValueError(f"{text!r} is not a count")


def load_glotip(path: Path, errors: list[GlotipError] | None = None) -> Iterator[GlotipRecord]:
    """Stream the records; bad rows go to ``errors`` (when given) or raise."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book[SHEET]
        sheet.reset_dimensions()  # the export's stored dimension claims one cell
        rows = sheet.iter_rows(values_only=True)
        header_at = _find_header(rows)
        for number, row in enumerate(rows, start=header_at + 1):
            try:
                yield _record(row)
            except GlotipError as exc:
                problem = GlotipError(f"row {number}: {exc}")
                if errors is None:
                    raise problem from None
                errors.append(problem)
    finally:
        book.close()


def load_glotip_csv(path: Path, errors: list[GlotipError] | None = None) -> Iterator[GlotipRecord]:
    """The same records from a CSV in the export's columns (header row first), such as a
    palermo GLOTIP submission (`palermo.analysis.glotip_submission.to_csv`)."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, [])
        if tuple(header[: len(HEADER)]) != HEADER:
            raise GlotipError(f"{path.name}: the first row is not the header {HEADER[:3]}...")
        for number, row in enumerate(rows, start=2):
            try:
                yield _record(tuple(row))
            except GlotipError as exc:
                problem = GlotipError(f"row {number}: {exc}")
                if errors is None:
                    raise problem from None
                errors.append(problem)


def _find_header(rows: Iterator[tuple[object, ...]]) -> int:
    for number, row in enumerate(rows, start=1):
        if tuple(row[: len(HEADER)]) == HEADER:
            return number
        if number > 20:
            break
    raise GlotipError(f"no header row {HEADER[:3]}... in the first 20 rows of {SHEET}")


def _record(row: tuple[object, ...]) -> GlotipRecord:
    cells = ["" if c is None else str(c).strip() for c in row[: len(HEADER)]]
    if len(cells) < len(HEADER):
        raise GlotipError(f"expected {len(HEADER)} columns, got {len(cells)}")
    try:
        year = int(float(cells[9]))
    except ValueError:
        raise GlotipError(f"Year: {cells[9]!r} is not a year") from None
    try:
        low, high = parse_value(cells[11])
    except ValueError as exc:
        raise GlotipError(f"txtVALUE: {exc}") from None
    return GlotipRecord(
        cells[0],
        cells[1],
        cells[2],
        cells[3],
        cells[4],
        cells[5],
        cells[6],
        cells[7],
        cells[8],
        year,
        cells[10],
        cells[11],
        low,
        high,
        cells[12],
    )


@dataclass(frozen=True)
class Cell:
    low: int
    high: int

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def table(
    records: Iterable[GlotipRecord],
    indicator: str = VICTIMS,
    dimension: str = "Total",
    by: str = "year",
    iso3: str | None = None,
    sex: str = "Total",
    age: str = "Total",
) -> dict[str, Cell]:
    """One Global-Report-style table: the indicator broken down by a column.

    ``by`` is a record field: year, category (form of exploitation, citizenship), sex, age,
    region or iso3. Bounds add up, so "<5" cells widen the total instead of vanishing.
    """
    lows: dict[str, int] = defaultdict(int)
    highs: dict[str, int] = defaultdict(int)
    for r in records:
        if r.indicator != indicator or r.dimension != dimension or not r.plausible:
            continue
        if (
            (iso3 and r.iso3 != iso3)
            or (by != "sex" and r.sex != sex)
            or (by != "age" and r.age != age)
        ):
            continue
        key = str(getattr(r, by))
        lows[key] += r.low
        highs[key] += r.high
    return {k: Cell(lows[k], highs[k]) for k in sorted(lows)}
