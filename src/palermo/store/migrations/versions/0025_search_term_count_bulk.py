"""search_term_count on SQLite: a bulk write counts its terms once per batch

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 12:40:00.000000

Migration 0024's SQLite row trigger upserted ``search_term_count`` once per term row: at
100,000 statements of ``bench/store.py`` it cost the bulk path ~18 % of its client CPU
(ADR 0032, third amendment, note). The bulk writer (``search_index.insert_new_terms``)
now upserts one grouped count per term of its batch itself, and marks its transaction
with a row in ``search_term_count_deferred`` while it inserts, which the insert trigger
checks (``WHEN NOT EXISTS``) and skips for. Every other path that inserts terms leaves
the table empty and is counted by the trigger as before; deletes and updates are
unchanged. PostgreSQL keeps its statement-level triggers (one grouped upsert per
statement already; no cost measured, same note); the marker table exists there too (the
schema is the same on both backends) and stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

DEFERRED_INSERT_TRIGGER = (
    "CREATE TRIGGER search_term_counted_insert AFTER INSERT ON search_term "
    "WHEN NOT EXISTS (SELECT 1 FROM search_term_count_deferred) BEGIN "
    "INSERT INTO search_term_count (term, n) VALUES (NEW.term, 1) "
    "ON CONFLICT (term) DO UPDATE SET n = n + 1; END"
)
ROW_INSERT_TRIGGER = (
    "CREATE TRIGGER search_term_counted_insert AFTER INSERT ON search_term BEGIN "
    "INSERT INTO search_term_count (term, n) VALUES (NEW.term, 1) "
    "ON CONFLICT (term) DO UPDATE SET n = n + 1; END"
)


def upgrade() -> None:
    conn = op.get_bind()
    if not sa.inspect(conn).has_table("search_term_count_deferred"):
        op.create_table(
            "search_term_count_deferred",
            sa.Column("pending", sa.Integer(), primary_key=True, autoincrement=False),
        )
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP TRIGGER IF EXISTS search_term_counted_insert"))
        conn.execute(sa.text(DEFERRED_INSERT_TRIGGER))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP TRIGGER IF EXISTS search_term_counted_insert"))
        conn.execute(sa.text(ROW_INSERT_TRIGGER))
    op.drop_table("search_term_count_deferred")
