"""search terms: covering indexes by term and by statement seq

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 21:00:00.000000

Two indexes over all three columns of ``search_term`` (ADR 0032, issue 16):

- ``ix_search_term_cover`` (term, seq, kind): a word's rows (and its rarity count) are read
  from the index alone; through the primary key (term, seq) each row's ``kind`` cost a
  table fetch (PostgreSQL: one heap page per row; SQLite: one rowid lookup).
- ``ix_search_term_seq`` (seq, term, kind): the terms of one statement, so the other words
  of a query are looked up among the rarest word's entities' statements instead of reading
  every row of a common word (~16k for a surname at 10M statements).
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_term_cover", "search_term", ["term", "seq", "kind"])
    op.create_index("ix_search_term_seq", "search_term", ["seq", "term", "kind"])


def downgrade() -> None:
    op.drop_index("ix_search_term_seq", table_name="search_term")
    op.drop_index("ix_search_term_cover", table_name="search_term")
