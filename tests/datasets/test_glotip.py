"""UNODC GLOTIP loader on the real export, checked against independent reads of the file."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from palermo.datasets.glotip import (
    HEADER,
    VICTIMS,
    Cell,
    GlotipError,
    GlotipRecord,
    load_glotip,
    parse_value,
    table,
)
from palermo.datasets.paths import shared_data_dir

XLSX = shared_data_dir() / "glotip" / "data_glotip.xlsx"
pytestmark = pytest.mark.skipif(not XLSX.exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def records() -> list[GlotipRecord]:
    errors: list[GlotipError] = []
    found = list(load_glotip(XLSX, errors))
    assert errors == []
    return found


def raw_rows() -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(XLSX, read_only=True, data_only=True)
    sheet = book["data_glotip_1"]
    sheet.reset_dimensions()
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    return [r for r in rows[3:] if r and r[0]]


def test_every_data_row_is_loaded(records: list[GlotipRecord]) -> None:
    with zipfile.ZipFile(XLSX) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        xml_rows = len(re.findall(rb"<row[ >]", z.read(sheet)))
    assert len(records) == xml_rows - 3  # title, date and header rows
    assert len(records) == 58_769  # as documented in ../shared/data/README.md
    assert len({r.iso3 for r in records}) == 199
    assert (min(r.year for r in records), max(r.year for r in records)) == (2003, 2022)


def test_victims_by_year_match_an_independent_sum(records: list[GlotipRecord]) -> None:
    expected: dict[str, int] = {}
    for r in raw_rows():
        if (r[0], r[4], r[5], r[7], r[8]) == ("NLD", VICTIMS, "Total", "Total", "Total"):
            text = str(r[11])
            if not text.startswith("<"):
                expected[str(r[9])] = expected.get(str(r[9]), 0) + int(text.replace(",", ""))
    got = table(records, by="year", iso3="NLD")
    assert expected and {y: c.low for y, c in got.items() if c.low == c.high} == expected


def test_small_counts_widen_totals_instead_of_vanishing(records: list[GlotipRecord]) -> None:
    forms = table(records, dimension="by form of exploitation", by="category", iso3="AGO")
    assert any(c.low < c.high for c in forms.values())
    assert str(Cell(0, 4)) == "0-4" and str(Cell(7, 7)) == "7"


def test_implausible_values_are_flagged_and_left_out(records: list[GlotipRecord]) -> None:
    odd = [r for r in records if not r.plausible]
    assert odd and all(r.high >= 1_000_000 for r in odd)
    world = table(records, by="year")
    assert all(c.high < 1_000_000 * 5 for c in world.values())


def test_value_parsing() -> None:
    assert parse_value("<5") == (0, 4)
    assert parse_value("1,192") == (1192, 1192)
    assert parse_value("37") == (37, 37)
    with pytest.raises(ValueError, match="not a count"):
        parse_value("n/a")


def nld_row(year: object, value: str) -> list[object]:
    return [
        "NLD",
        "Netherlands",
        "Europe",
        "W",
        VICTIMS,
        "Total",
        "Total",
        "Total",
        "Total",
        year,
        "Counts",
        value,
        "GLOTIP",
    ]


def test_malformed_rows_are_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "data_glotip_1"
    sheet.append(["UNODC"])
    sheet.append(["14/04/2025"])
    sheet.append(list(HEADER))
    sheet.append(nld_row(2020, "12"))
    sheet.append(nld_row("soon", "12"))
    sheet.append(nld_row(2021, "lots"))
    path = tmp_path / "g.xlsx"
    book.save(path)
    errors: list[GlotipError] = []
    good = list(load_glotip(path, errors))
    assert len(good) == 1 and good[0].low == 12
    assert [str(e) for e in errors] == [
        "row 5: Year: 'soon' is not a year",
        "row 6: txtVALUE: 'lots' is not a count",
    ]
