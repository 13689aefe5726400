"""The tamper-evident audit log: an append-only hash chain.

Each row carries the hash of the row before it, so editing a row breaks its own hash and
deleting one breaks the chain. The head row (newest seq and hash) catches a deleted tail.
The head hash can be printed and kept outside the database (`palermo audit head`) to
anchor the chain against someone able to rewrite the whole table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.store.tables import audit_head, audit_log

GENESIS = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    agency: str
    username: str
    action: str
    target: str
    detail: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    rows_checked: int
    broken_seq: int | None = None
    reason: str = ""


def row_hash(
    seq: int,
    ts: str,
    agency: str,
    username: str,
    action: str,
    target: str,
    detail: str,
    prev_hash: str,
) -> str:
    fields = (str(seq), ts, agency, username, action, target, detail, prev_hash)
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    agency: str,
    username: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction, so the audit row and the action
    it records commit or roll back together."""
    _claim_head(conn)
    head = conn.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash)
        .where(audit_head.c.id == HEAD_ID)
        .with_for_update()
    ).first()
    prev_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    seq = prev_seq + 1
    ts = datetime.now(UTC).isoformat(timespec="microseconds")
    detail_text = json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"))
    digest = row_hash(seq, ts, agency, username, action, target, detail_text, prev_hash)
    entry = AuditEntry(seq, ts, agency, username, action, target, detail_text, prev_hash, digest)
    conn.execute(sa.insert(audit_log).values(**entry.__dict__))
    conn.execute(
        sa.update(audit_head).where(audit_head.c.id == HEAD_ID).values(seq=seq, hash=digest)
    )
    return entry


def _claim_head(conn: Connection) -> None:
    """Make sure the head row exists, as a write, so that concurrent appends queue here.

    On PostgreSQL the head is then locked FOR UPDATE; on SQLite, whose driver opens a
    transaction only at the first write, this write takes the database's write lock before
    the head is read -- without it two threads could read one head and write one seq twice.
    """
    values = {"id": HEAD_ID, "seq": 0, "hash": GENESIS}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        conn.execute(insert(audit_head).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sa.insert(audit_head).prefix_with("OR IGNORE").values(**values))


def entries(conn: Connection, since: int = 0) -> Iterator[AuditEntry]:
    rows = conn.execute(
        sa.select(audit_log).where(audit_log.c.seq > since).order_by(audit_log.c.seq)
    )
    for row in rows:
        yield AuditEntry(**row._mapping)


def verify(conn: Connection) -> AuditReport:
    """Walk the chain from the first row; report the first row that does not hold."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for entry in entries(conn):
        if entry.seq != expected_seq:
            return AuditReport(False, checked, expected_seq, f"row {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return AuditReport(False, checked, entry.seq, "does not link to the row before it")
        recomputed = row_hash(
            entry.seq,
            entry.ts,
            entry.agency,
            entry.username,
            entry.action,
            entry.target,
            entry.detail,
            entry.prev_hash,
        )
        if recomputed != entry.hash:
            return AuditReport(False, checked, entry.seq, "contents were changed")
        checked += 1
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    head = conn.execute(sa.select(audit_head).where(audit_head.c.id == HEAD_ID)).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        missing = expected_seq if head_seq >= expected_seq else head_seq
        return AuditReport(
            False,
            checked,
            missing,
            f"the chain head says row {head_seq}, the log ends at "
            f"row {expected_seq - 1}: rows were deleted or the head was changed",
        )
    return AuditReport(True, checked)
