"""search terms: the inverted index of names and identifiers behind Store.search

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:50:00.000000

One row per (normalised term, statement seq), maintained by every write in its own
transaction (``palermo.store.search_index``, ADR 0013). Statements already stored are
indexed here. The primary key (term, seq) is the prefix index: on PostgreSQL the term is
compared in byte order (``COLLATE "C"``) so a range scan serves prefix queries under any
database locale.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MAX_TERM = 200  # must match palermo.store.search_index.MAX_TERM


def upgrade() -> None:
    term = sa.String(length=MAX_TERM).with_variant(
        sa.String(length=MAX_TERM, collation="C"), "postgresql"
    )
    op.create_table(
        "search_term",
        sa.Column("term", term, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.PrimaryKeyConstraint("term", "seq"),
    )
    _backfill()


def downgrade() -> None:
    op.drop_table("search_term")


def _backfill() -> None:
    """Index the statements stored before the index existed. The terms come from the
    application's normalisers (names, document numbers, phones): a migration cannot keep a
    literal copy of those without the index and the queries drifting apart."""
    from palermo.store.search_index import backfill

    backfill(op.get_bind(), with_entity=False)  # the column comes with 0022, which fills it
