"""Row-level import errors: where (file, line), what (field) and why (reason)."""

from __future__ import annotations

from dataclasses import dataclass, field

from palermo.ingest.consolidate import Merge


class RowProblem(ValueError):
    """Raised while reading or validating one row; becomes a :class:`RowError`."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    file: str
    rows_read: int = 0
    entities_imported: int = 0
    statements: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    merged: list[Merge] = field(default_factory=list)  # the same-name rule's merges
    split: list[Merge] = field(default_factory=list)  # merges undone (--same-names split)
