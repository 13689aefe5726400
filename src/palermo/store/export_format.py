"""The export's two file formats, written once for the CLI and the API.

`store.marked_export.marked_lines` decides which lines go out (H0 purposes, then H1 court
consent); this module only writes them, so ``palermo export`` and ``GET /api/v1/export``
cannot drift apart: the same FtM JSON line (with ``handling`` and, when there are any, the
H3 ``restrictions`` in words) and the same CSV rows (one per value, its own marking and H3
texts), with spreadsheet formulas defused.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO

from palermo.store.entity_marking import value_marking
from palermo.store.marked_export import ExportLine, Refused

FORMATS = ("ftm", "csv")
CSV_HEADER = [
    "entity_id",
    "schema",
    "prop",
    "value",
    "agency",
    "first_seen",
    "last_seen",
    "policy_id",
    "handling",
    "restrictions",
]
# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def check_format(fmt: str, field: str = "format") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"{field}: {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def csv_cell(value: str) -> str:
    """A value safe to open in a spreadsheet: one that would start a formula gets a leading
    single quote, so values from other agencies (``=HYPERLINK(...)``) stay inert text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def ftm_line(line: ExportLine) -> str:
    """One FtM JSON line with its marking; H3 travels with it in words."""
    data = {**line.entity.to_ftm(), "handling": line.marking.text}
    if line.restrictions:
        data["restrictions"] = line.restrictions
    return json.dumps(data, ensure_ascii=False) + "\n"


def csv_rows(line: ExportLine) -> Iterator[list[str]]:
    """One CSV row per value of the line, with the value's own marking and H3 texts."""
    entity = line.entity
    for prop, values in sorted(entity.properties.items()):
        for v in values:
            marking = value_marking(v)
            yield [
                csv_cell(entity.id),
                entity.schema,
                csv_cell(prop),
                csv_cell(v.value),
                csv_cell(v.agency),
                v.first_seen.isoformat(),
                v.last_seen.isoformat() if v.last_seen else "",
                v.policy_id,
                marking.text,
                csv_cell("; ".join(sorted(marking.restrictions))),
            ]


def write_lines(lines: Iterable[ExportLine | Refused], fmt: str, out: IO[str]) -> list[Refused]:
    """Write every exported line to ``out`` in ``fmt``; the refused ones are returned."""
    refused: list[Refused] = []
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_HEADER)
    for line in lines:
        if isinstance(line, Refused):
            refused.append(line)
        elif writer is None:
            out.write(ftm_line(line))
        else:
            writer.writerows(csv_rows(line))
    return refused
