"""search index statistics: a finer histogram of ``search_term.term`` on PostgreSQL

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 01:00:00.000000

A word typed last is looked up as a prefix range (``'bun' <= term < 'buo'``). With the
default statistics target (100 histogram buckets over ~9.4 million index rows at 10M
statements) PostgreSQL estimated 373-1,237 rows for ranges that hold 28,670-44,868, and so
planned the other words' probes of ``_entities_holding`` as a bitmap heap scan of the
table (one heap page per row: 180 ms, against 14 ms probing the entity index alone;
docs/adr/0032-search-words-among-candidates-and-audit-beside-the-page.md, "Measured at
10M"; issue 16). A target of 10,000 gives buckets of about a thousand rows and keeps the
10,000 most common terms (given names, particles of Vietnamese and Thai names) with their
own counts. ``ANALYZE`` samples 300 rows per unit of target: three million rows, a few
seconds. Runs ``ANALYZE search_term`` once so the new statistics hold at once.

SQLite's planner reads no histogram (``sqlite_stat4`` is not compiled into Python's
SQLite) and already plans these probes on the entity index: nothing to do there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TARGET = 10_000  # PostgreSQL's maximum
DEFAULT = -1  # back to ``default_statistics_target``


def upgrade() -> None:
    _set_target(TARGET)


def downgrade() -> None:
    _set_target(DEFAULT)


def _set_target(target: int) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.execute(sa.text(f"ALTER TABLE search_term ALTER COLUMN term SET STATISTICS {target}"))
    conn.execute(sa.text("ANALYZE search_term"))
