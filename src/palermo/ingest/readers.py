"""Readers: each yields (line number, entity dict) or (line number, RowProblem).

FtM JSON lines are read here; mapped CSV goes through followthemoney's mapping engine
(:mod:`palermo.ingest.mapping`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from palermo.ingest.errors import RowProblem
from palermo.ingest.mapping import Row

__all__ = ["Row", "read_ftm_lines"]


def read_ftm_lines(path: Path) -> Iterator[Row]:
    """FtM JSON lines; a line that is not JSON is an error of that line, not of the file."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    RowProblem("(json)", f"not valid JSON: {exc.msg} at column {exc.colno}"),
                )
