"""search_term_count: each term's number of index rows, kept by triggers

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 11:15:00.000000

A search of two or more words orders them by rarity: how many ``search_term`` rows each
word's forms and prefix ranges match, capped at 8,000. Counting those rows read up to
8,000 index entries per word, and at 10M statements PostgreSQL did it with bitmap heap
scans (the table's visibility map is not set after bulk writes): 15-39 ms of a full name's
server time (docs/adr/0032-search-words-among-candidates-and-audit-beside-the-page.md,
amendments; issue 16). ``search_term_count`` holds each term's row count, so a word's
rarity is a sum over its distinct terms.

The counts are kept by triggers on ``search_term``, so every path that writes terms keeps
them without knowing of them (bulk ``COPY``, prepared inserts, ``index_statements``,
backfill, re-index, purge, tests that delete terms): on PostgreSQL statement-level triggers
with transition tables (one grouped upsert per statement, also for ``COPY``), on SQLite
row triggers. A term whose rows are all deleted keeps a row with ``n = 0`` (a sum is all a
search reads). The upgrade can run again: it replaces the triggers and recounts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

TermText = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")

PG_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION search_term_count_add() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_term_count (term, n)
        SELECT term, count(*) FROM search_term_added GROUP BY term ORDER BY term
        ON CONFLICT (term) DO UPDATE SET n = search_term_count.n + EXCLUDED.n;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_term_count_remove() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE search_term_count AS c SET n = c.n - gone.n
        FROM (SELECT term, count(*) AS n FROM search_term_removed GROUP BY term) AS gone
        WHERE c.term = gone.term;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION search_term_count_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE search_term_count AS c SET n = c.n - gone.n
        FROM (SELECT term, count(*) AS n FROM search_term_removed GROUP BY term) AS gone
        WHERE c.term = gone.term;
        INSERT INTO search_term_count (term, n)
        SELECT term, count(*) FROM search_term_added GROUP BY term ORDER BY term
        ON CONFLICT (term) DO UPDATE SET n = search_term_count.n + EXCLUDED.n;
        RETURN NULL;
    END $$
    """,
]
PG_TRIGGERS = [
    "CREATE TRIGGER search_term_counted_insert AFTER INSERT ON search_term "
    "REFERENCING NEW TABLE AS search_term_added "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_term_count_add()",
    "CREATE TRIGGER search_term_counted_delete AFTER DELETE ON search_term "
    "REFERENCING OLD TABLE AS search_term_removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_term_count_remove()",
    # Transition tables allow no column list, so every UPDATE recounts its rows' terms
    # (only migration 0022's fill of ``entity_id`` updated term rows, before this).
    "CREATE TRIGGER search_term_counted_update AFTER UPDATE ON search_term "
    "REFERENCING OLD TABLE AS search_term_removed NEW TABLE AS search_term_added "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_term_count_change()",
]
SQLITE_TRIGGERS = [
    "CREATE TRIGGER search_term_counted_insert AFTER INSERT ON search_term BEGIN "
    "INSERT INTO search_term_count (term, n) VALUES (NEW.term, 1) "
    "ON CONFLICT (term) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER search_term_counted_delete AFTER DELETE ON search_term BEGIN "
    "UPDATE search_term_count SET n = n - 1 WHERE term = OLD.term; END",
    "CREATE TRIGGER search_term_counted_update AFTER UPDATE OF term ON search_term BEGIN "
    "UPDATE search_term_count SET n = n - 1 WHERE term = OLD.term; "
    "INSERT INTO search_term_count (term, n) VALUES (NEW.term, 1) "
    "ON CONFLICT (term) DO UPDATE SET n = n + 1; END",
]
TRIGGERS = (
    "search_term_counted_insert",
    "search_term_counted_delete",
    "search_term_counted_update",
)


def upgrade() -> None:
    conn = op.get_bind()
    if not sa.inspect(conn).has_table("search_term_count"):
        op.create_table(
            "search_term_count",
            sa.Column("term", TermText, primary_key=True),
            sa.Column("n", sa.BigInteger(), nullable=False),
        )
    drop_triggers(conn)
    recount(conn)
    if conn.dialect.name == "postgresql":
        for sql in [*PG_FUNCTIONS, *PG_TRIGGERS]:
            conn.execute(sa.text(sql))
    else:
        for sql in SQLITE_TRIGGERS:
            conn.execute(sa.text(sql))


def downgrade() -> None:
    conn = op.get_bind()
    drop_triggers(conn)
    if conn.dialect.name == "postgresql":
        for name in ("add", "remove", "change"):
            conn.execute(sa.text(f"DROP FUNCTION IF EXISTS search_term_count_{name}()"))
    op.drop_table("search_term_count")


def drop_triggers(conn: sa.Connection) -> None:
    for name in TRIGGERS:
        on = " ON search_term" if conn.dialect.name == "postgresql" else ""
        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}{on}"))


def recount(conn: sa.Connection) -> int:
    """Every term's row count, from ``search_term`` (one grouped scan); returns the terms."""
    conn.execute(sa.text("DELETE FROM search_term_count"))
    done = conn.execute(
        sa.text(
            "INSERT INTO search_term_count (term, n) "
            "SELECT term, count(*) FROM search_term GROUP BY term"
        )
    )
    return int(done.rowcount)
