"""Running an import: all-or-nothing (``atomic``) or importing the good rows (``skip-bad``).

Either way the file is written in one transaction, so an interrupted or rejected import
leaves the store exactly as it was. A rejected import is itself audited.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from palermo.access.viewer import Viewer
from palermo.ingest.errors import ImportReport, RowError, RowProblem
from palermo.ingest.readers import Row, load_mapping, read_csv, read_ftm_lines
from palermo.ingest.validate import entity_statements
from palermo.model.sharing import KnownAudiences, Sharing, SharingError
from palermo.model.statement import Statement, utcnow
from palermo.store.store import Store

BULK = 10_000  # statements after which an import refreshes planner statistics


class ImportMode(StrEnum):
    ATOMIC = "atomic"
    SKIP_BAD = "skip-bad"


class _Rejected(Exception):
    """Rolls the import transaction back."""


def read_rows(path: Path, fmt: str, mapping: Path | None) -> Iterator[Row]:
    if fmt == "ftm":
        return read_ftm_lines(path)
    if fmt == "csv":
        if mapping is None:
            raise ValueError("--mapping: a CSV import needs a column mapping file")
        return read_csv(path, load_mapping(mapping))
    raise ValueError(f"--format: {fmt!r} is not one of ftm, csv")


def guess_format(path: Path) -> str:
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "ftm"


def import_file(
    store: Store,
    viewer: Viewer,
    path: Path,
    fmt: str | None = None,
    mode: ImportMode = ImportMode.ATOMIC,
    sharing: Sharing | None = None,
    mapping: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file as ``viewer``'s agency; returns what happened, never raises for bad rows."""
    viewer.require_data_role("import entity data")
    report = ImportReport(file=str(path))
    rows = read_rows(path, fmt or guess_format(path), mapping)
    known = KnownAudiences.of(store.agencies())
    default = _checked_default(sharing or Sharing.owner_only(), known)
    seen = utcnow()

    def statements() -> Iterator[Statement]:
        for line, group in itertools.groupby(rows, key=lambda item: item[0]):
            report.rows_read += 1
            if progress is not None:
                progress(line)
            yield from _line_statements(report, path.name, line, [row for _, row in group])

    def _line_statements(
        report: ImportReport, name: str, line: int, entities: list[dict[str, Any] | RowProblem]
    ) -> list[Statement]:
        """A source line is stored whole or not at all: with a mapping one line makes
        several entities (a Person and their Passport), and a Passport whose holder was
        rejected would point at nobody."""
        out: list[Statement] = []
        for row in entities:
            try:
                if isinstance(row, RowProblem):
                    raise row
                out += entity_statements(row, viewer.agency, default, seen, known=known)
            except RowProblem as problem:
                report.errors.append(RowError(name, line, problem.field, problem.reason))
                return []
        report.entities_imported += len(entities)
        return out

    try:
        with store.transaction() as conn:
            report.statements = store.write(viewer, statements(), "import", path.name, conn=conn)
            if report.errors and mode is ImportMode.ATOMIC:
                raise _Rejected
        report.committed = True
        if report.statements >= BULK:
            store.analyze()
    except _Rejected:
        report.entities_imported = 0
        report.statements = 0
        store.audit_event(viewer, "import.rejected", path.name, {"errors": len(report.errors)})
    return report


def _checked_default(sharing: Sharing, known: KnownAudiences) -> Sharing:
    """The default sharing names directory codes too, or the whole import is refused."""
    try:
        return known.check(sharing)
    except SharingError as exc:
        raise ValueError(f"sharing: {exc}") from None
