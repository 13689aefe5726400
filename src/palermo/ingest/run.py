"""Running an import: all-or-nothing (``atomic``) or importing the good rows (``skip-bad``).

Mapped CSV (and, when asked, FtM JSON) first passes the same-name rule
(:mod:`palermo.ingest.consolidate`), then every line is validated and written. Either way
the file is written in one transaction, so an interrupted or rejected import
leaves the store exactly as it was. A rejected import is itself audited.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from palermo.access.viewer import Viewer
from palermo.ingest.consolidate import Consolidator, Merge, id_map
from palermo.ingest.errors import ImportReport, RowError, RowProblem
from palermo.ingest.mapping import CsvMapping, Row, load_mapping, read_mapped_csv
from palermo.ingest.readers import read_ftm_lines
from palermo.ingest.validate import entity_statements
from palermo.match.arrivals import announce
from palermo.model.sharing import KnownAudiences, Sharing, SharingError
from palermo.model.statement import Statement, change_time, utcnow
from palermo.store.store import Store

BULK = 10_000  # statements after which an import refreshes planner statistics


class ImportMode(StrEnum):
    ATOMIC = "atomic"
    SKIP_BAD = "skip-bad"


class _Rejected(Exception):
    """Rolls the import transaction back."""


SAME_NAME_MODES = ("merge", "keep", "split")
StatementKey = tuple[str, str, str]  # what a retraction withdraws (with the agency)


def read_rows(path: Path, fmt: str, mapping: CsvMapping | None) -> Iterator[Row]:
    if fmt == "ftm":
        return read_ftm_lines(path)
    if fmt == "csv":
        if mapping is None:
            raise ValueError("--mapping: a CSV import needs a column mapping file")
        return read_mapped_csv(path, mapping)
    raise ValueError(f"--format: {fmt!r} is not one of ftm, csv")


def guess_format(path: Path) -> str:
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "ftm"


def same_name_mode(fmt: str, mapping: CsvMapping | None, asked: str | None) -> str:
    """``asked`` (the caller's option) wins; else the mapping's ``same_name`` (default
    merge); FtM JSON keeps records apart by default: its ids are the agency's own record
    ids, so the agency has already said which records are distinct."""
    if asked is not None:
        if asked not in SAME_NAME_MODES:
            raise ValueError(f"--same-names: {asked!r} is not one of merge, keep, split")
        return asked
    return mapping.same_name if fmt == "csv" and mapping is not None else "keep"


def import_file(
    store: Store,
    viewer: Viewer,
    path: Path,
    fmt: str | None = None,
    mode: ImportMode = ImportMode.ATOMIC,
    sharing: Sharing | None = None,
    mapping: Path | None = None,
    progress: Callable[[int], None] | None = None,
    same_names: str | None = None,
) -> ImportReport:
    """Import one file as ``viewer``'s agency; returns what happened, never raises for bad
    rows (an unusable mapping, format or default sharing is a ``ValueError`` naming it)."""
    viewer.require_data_role("import entity data")
    fmt = fmt or guess_format(path)
    csv_mapping = load_mapping(mapping) if fmt == "csv" and mapping is not None else None
    same = same_name_mode(fmt, csv_mapping, same_names)
    report = ImportReport(file=str(path))
    known = KnownAudiences.of(store.agencies())
    default = _checked_default(sharing or Sharing.owner_only(), known)
    lines = _Lines(viewer.agency, default, utcnow(), known)
    undo: list[Statement] = []
    if same != "keep":
        merges = lines.consolidate(read_rows(path, fmt, csv_mapping))
        if same == "split":
            undo = lines.undo_merges(store, viewer, read_rows(path, fmt, csv_mapping))
            report.split, lines.merged_into = merges, {}
        else:
            report.merged = merges
    rows = read_rows(path, fmt, csv_mapping)
    ids: set[str] = set()

    def statements() -> Iterator[Statement]:
        for line, group in itertools.groupby(rows, key=lambda item: item[0]):
            report.rows_read += 1
            if progress is not None:
                progress(line)
            try:
                out = lines.statements([row for _, row in group])
            except RowProblem as problem:
                report.errors.append(RowError(path.name, line, problem.field, problem.reason))
                continue
            ids.update(s.entity_id for s in out)
            yield from out

    try:
        with store.transaction() as conn:
            written = itertools.chain(undo, statements())
            report.statements = store.write(viewer, written, "import", path.name, conn=conn)
            if report.errors and mode is ImportMode.ATOMIC:
                raise _Rejected
        report.committed = True
        announce(store, viewer.agency, ids)  # resolved on arrival, after the commit
        report.entities_imported = len(ids)
        if report.statements >= BULK:
            store.analyze()
    except _Rejected:
        report.statements = 0
        report.merged, report.split = [], []
        store.audit_event(viewer, "import.rejected", path.name, {"errors": len(report.errors)})
    return report


class _Lines:
    """Statements of one source line, which is stored whole or not at all: with a mapping
    one line makes several entities (a Person and their Passport), and a Passport whose
    holder was rejected would point at nobody."""

    def __init__(
        self, agency: str, default: Sharing, seen: datetime, known: KnownAudiences
    ) -> None:
        self.agency, self.default, self.seen, self.known = agency, default, seen, known
        self.merged_into: dict[str, str] = {}

    def statements(
        self, entities: list[dict[str, Any] | RowProblem], merged: bool = True
    ) -> list[Statement]:
        out: list[Statement] = []
        for row in entities:
            if isinstance(row, RowProblem):
                raise row
            out += entity_statements(
                row,
                self.agency,
                self.default,
                self.seen,
                known=self.known,
                merged_into=self.merged_into if merged else None,
            )
        return out

    def consolidate(self, rows: Iterator[Row]) -> list[Merge]:
        """A first pass over the file: the same-name rule over the Person records of the
        lines that validate (a rejected line's records must not absorb anyone)."""
        consolidator = Consolidator()
        for line, group in itertools.groupby(rows, key=lambda item: item[0]):
            entities = [row for _, row in group]
            try:
                self.statements(entities)
            except RowProblem:
                continue
            for row in entities:
                if isinstance(row, dict) and row.get("schema") == "Person":
                    local = str(row["id"]).strip()
                    consolidator.add(line, local, self.statements([row]))
        merges = consolidator.merges()
        self.merged_into = id_map(merges)
        return merges

    def undo_merges(self, store: Store, viewer: Viewer, rows: Iterator[Row]) -> list[Statement]:
        """Retractions of what a merging import of this file stored and a keeping one would
        not (the merged rows' values on the kept record, references moved to it), among the
        agency's current statements: ``--same-names split`` undoes the same-name rule.
        A retraction withdraws a value of an entity whatever its source record, so a value
        the kept row says too (its name, its id) stays."""
        merged: set[StatementKey] = set()
        kept: set[StatementKey] = set()
        for _, group in itertools.groupby(rows, key=lambda item: item[0]):
            entities = [row for _, row in group]
            try:
                merged.update(map(_key, self.statements(entities)))
                kept.update(map(_key, self.statements(entities, merged=False)))
            except RowProblem:
                continue
        only_merged = merged - kept
        when = change_time()
        return [
            s.retraction(when)
            for entity_id in sorted({k[0] for k in only_merged})
            for s in store.own_current(viewer, entity_id, None)
            if _key(s) in only_merged
        ]


def _key(s: Statement) -> StatementKey:
    return (s.entity_id, s.prop, s.value)


def _checked_default(sharing: Sharing, known: KnownAudiences) -> Sharing:
    """The default sharing names directory codes too, or the whole import is refused."""
    try:
        return known.check(sharing)
    except SharingError as exc:
        raise ValueError(f"sharing: {exc}") from None
