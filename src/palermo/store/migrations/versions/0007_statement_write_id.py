"""statement write id: each statement row names the audited write that inserted it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:30:00.000000

From now on every write's audit row records its write id, how many statements it stored and
a digest of their ids (``palermo.store.audit``), and ``audit verify`` checks the statement
table against those records. Statements already stored have no write id; so that they are
covered too, this migration appends one audit row (``audit.baseline``) recording them the
same way (write id null). A database with no statements gets no such row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Kept literal (not imported from palermo.store.audit) so the migration does not change when
# the code does; they must agree with audit.GENESIS, audit.row_hash and audit.ids_digest.
GENESIS = "0" * 64
HEAD_ID = 1
BATCH = 10_000


def upgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("write_id", sa.String(length=32), nullable=True))
    _baseline(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_column("write_id")


def _baseline(conn: sa.Connection) -> None:
    """Record the statements stored before write ids existed in one audit row."""
    statement = sa.table("statement", sa.column("id"))
    count = conn.execute(sa.select(sa.func.count()).select_from(statement)).scalar_one()
    if not count:
        return
    digest = hashlib.sha256()
    last = ""
    while True:  # sorted by id on its unique index, in pages: no list of every id in memory
        ids = conn.execute(
            sa.select(statement.c.id).where(statement.c.id > last).order_by("id").limit(BATCH)
        ).scalars()
        page = [str(i) for i in ids]
        if not page:
            break
        for sid in page:
            digest.update(sid.encode("ascii", "replace") + b"\n")
        last = page[-1]
    detail = {"write": {"id": None, "statements": int(count), "digest": digest.hexdigest()}}
    _append(conn, "audit.baseline", "statements", detail)


def _append(conn: sa.Connection, action: str, target: str, detail: Mapping[str, object]) -> None:
    log = sa.table(
        "audit_log",
        *(sa.column(c) for c in ("seq", "ts", "agency", "username", "action", "target")),
        sa.column("detail"),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    found = conn.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == HEAD_ID)).first()
    seq, prev = (int(found.seq) + 1, str(found.hash)) if found else (1, GENESIS)
    ts = datetime.now(UTC).isoformat(timespec="microseconds")
    text = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    fields = (str(seq), ts, "_system", "migration", action, target, text, prev)
    digest = hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()
    row = {
        "seq": seq,
        "ts": ts,
        "agency": "_system",
        "username": "migration",
        "action": action,
        "target": target,
        "detail": text,
        "prev_hash": prev,
        "hash": digest,
    }
    conn.execute(sa.insert(log).values(**row))
    if found:
        conn.execute(sa.update(head).where(head.c.id == HEAD_ID).values(seq=seq, hash=digest))
    else:
        conn.execute(sa.insert(head).values(id=HEAD_ID, seq=seq, hash=digest))
