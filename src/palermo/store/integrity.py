"""Tamper evidence for the statements themselves, beside the audit chain.

A statement's id is the hash of its content (``Statement.id``). The audit chain proves who
wrote when, but a value edited directly in the database would keep its old id and go
unnoticed there; recomputing every id from the stored columns catches it (and a changed
policy, agency, source or date the same way), naming the first row that no longer holds.

A row deleted, or one added with a well-formed id, hashes fine; those are caught against
what the audit log says each write stored (``write`` in a write's audit row: its id, count
and a digest of its statement ids; every statement row carries its write's id). A
statement no audited write stored, one more than its write stored, a write whose
statements no longer match its digest and a write missing statements are all named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.model.sharing import Sharing, SharingError
from palermo.model.statement import Statement
from palermo.store.audit import entries, ids_digest, purged_writes
from palermo.store.tables import policy, statement

BATCH = 10_000


@dataclass(frozen=True)
class StatementReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    broken_audit_seq: int | None = None


def verify_statements(conn: Connection) -> StatementReport:
    """Recompute every statement's content id, in insertion order, and check the rows
    against the writes the audit log recorded."""
    checked = 0
    tally = _Tally(recorded_writes(conn))
    for row in _rows(conn):
        problem = _problem(row) or tally.add(row)
        if problem:
            return StatementReport(False, checked, int(row.seq), problem, tally.audit_seq)
        checked += 1
    problem = tally.finish()
    if problem:
        return StatementReport(False, checked, None, problem, tally.audit_seq)
    return StatementReport(True, checked)


@dataclass(frozen=True)
class RecordedWrite:
    """What one audit row says a write stored."""

    audit_seq: int
    label: str
    statements: int
    digest: str


def recorded_writes(conn: Connection) -> dict[str | None, RecordedWrite]:
    """Each audited write by its id (None: the statements stored before write ids, recorded
    by migration 0007's baseline row). Audit rows without ``write`` are older and add none."""
    found: dict[str | None, RecordedWrite] = {}
    for entry in entries(conn):
        for wid, (left, digest) in purged_writes(entry.detail).items():
            if wid in found:  # a purge (store/purge.py) accounts for the rows it deleted
                was = found[wid]
                label = f"{was.label}, less the purge at audit row {entry.seq}"
                found[wid] = RecordedWrite(was.audit_seq, label, left, digest)
        if '"write"' not in entry.detail:
            continue
        write = json.loads(entry.detail).get("write")
        if not isinstance(write, dict):
            continue
        label = f"audit row {entry.seq} ({entry.action} {entry.target} by {entry.username})"
        recorded = RecordedWrite(
            entry.seq, label, int(write.get("statements", 0)), str(write.get("digest", ""))
        )
        found[write.get("id")] = recorded
    return found


@dataclass
class _Tally:
    """Statement rows gathered per write, each write checked once all its rows are in."""

    writes: dict[str | None, RecordedWrite]
    open: dict[str | None, list[str]] = field(default_factory=dict)
    done: set[str | None] = field(default_factory=set)
    audit_seq: int | None = None

    def add(self, row: sa.Row[tuple[object, ...]]) -> str:
        wid = None if row.write_id is None else str(row.write_id)
        what = f"statement {row.id} of {row.entity_id}.{row.prop}"
        recorded = self.writes.get(wid)
        if recorded is None:
            self.audit_seq = None
            return f"{what} was stored by no audited write (added behind the audit log's back)"
        self.audit_seq = recorded.audit_seq
        if wid in self.done:
            return (
                f"{what} is one more than {recorded.label} stored "
                f"({recorded.statements}): added behind the audit log's back"
            )
        ids = self.open.setdefault(wid, [])
        ids.append(str(row.id))
        if len(ids) < recorded.statements:
            return ""
        del self.open[wid]
        self.done.add(wid)
        if ids_digest(ids) != recorded.digest:
            return (
                f"the statements of {recorded.label} are not the ones it stored "
                f"(one was replaced behind the audit log's back; {what} is the last of them)"
            )
        return ""

    def finish(self) -> str:
        """A write with fewer rows than it stored: statements were deleted."""
        for wid, recorded in sorted(self.writes.items(), key=lambda w: w[1].audit_seq):
            if wid in self.done or recorded.statements == 0:
                continue
            held = len(self.open.get(wid, []))
            self.audit_seq = recorded.audit_seq
            return (
                f"{recorded.label} stored {recorded.statements} statements, "
                f"{held} of them are left: statements were deleted behind the audit log's back"
            )
        return ""


def _rows(conn: Connection) -> Iterator[sa.Row[tuple[object, ...]]]:
    after = 0
    while True:
        rows = conn.execute(
            sa.select(statement, policy.c.canonical)
            .join(policy, policy.c.id == statement.c.policy_id, isouter=True)
            .where(statement.c.seq > after)
            .order_by(statement.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        after = int(rows[-1].seq)


def _problem(row: sa.Row[tuple[object, ...]]) -> str:
    """Why the row does not hold, or "" when its content still hashes to its id."""
    if row.canonical is None:
        return f"statement {row.id} points at a policy that does not exist"
    try:
        sharing = Sharing.from_canonical(str(row.canonical))
    except SharingError as exc:
        return f"statement {row.id} has an unreadable policy: {exc}"
    if sharing.policy_id != row.policy_id:
        return f"statement {row.id}: its policy row was changed"
    recomputed = Statement(
        entity_id=str(row.entity_id),
        schema=str(row.schema),
        prop=str(row.prop),
        value=str(row.value),
        agency=str(row.agency),
        source_record_id=str(row.source_record_id),
        sharing=sharing,
        first_seen=_utc(row.first_seen),
        last_seen=_utc(row.last_seen) if row.last_seen is not None else None,
        retracted=bool(row.retracted),
    ).id
    if recomputed != row.id:
        return f"statement {row.id} of {row.entity_id}.{row.prop}: contents were changed"
    return ""


def _utc(value: object) -> datetime:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
