"""search at scale: a partial index of retractions

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-29 16:40:00.000000

Every read path asks, per candidate statement, whether a later retraction of the same key
withdrew it (``visibility.is_current``). Through ``ix_statement_key`` each probe fetched
the heap row of every statement with that key, the candidate itself included, only to
find it is not a retraction; a search reading 2,000 candidate statements paid 2,000 such
random fetches. ``ix_statement_retraction`` holds only retraction rows (few), keyed by
(key, seq), so the probe is one lookup in a small index that nearly always finds nothing
(issue 16, docs/adr/0013-search-index.md, consequences).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    retracted = sa.column("retracted", sa.Boolean()).is_(True)
    op.create_index(
        "ix_statement_retraction",
        "statement",
        ["key", "seq"],
        postgresql_where=retracted,
        sqlite_where=retracted,
    )


def downgrade() -> None:
    op.drop_index("ix_statement_retraction", table_name="statement")
