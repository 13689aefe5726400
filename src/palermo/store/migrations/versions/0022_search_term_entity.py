"""search_term.entity_id: a query's words are intersected in the index, then read

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 07:30:00.000000

A search of two or more words read every visible index row of its rarest word with its
statement (one table fetch per row, ~2,000 at 10M statements) only to learn the entities
to look the other words up among. Each term row now carries its statement's entity
(copied when the term is written: ``bulk._flush``, ``search_index.index_statements``), so
the entities holding every word are found in the index alone (``ix_search_term_cover``
now ends with the entity; ``ix_search_term_entity`` keys an entity's terms), and only the
statements of those entities that hold a word are read, through the same access rule as
before (docs/adr/0032-search-words-among-candidates-and-audit-beside-the-page.md,
amendments; issue 16).

The column is added nullable and filled from ``statement`` by seq (one ``UPDATE``; on
PostgreSQL a join, on SQLite a correlated lookup by the primary key), then the indexes are
built over the filled rows and the table analysed. The column stays nullable: a term row whose statement is gone
has no entity, and such a row can only leave a candidate out, never let one in. The
upgrade checks what is already there (the column, each index) and fills only null rows,
so running it again after an earlier revision was re-run (tests re-run 0021, whose rows
have no entity) completes it instead of failing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

OLD_COVER = ["term", "seq", "kind"]
COVER = ["term", "seq", "kind", "entity_id"]
ENTITY = ["entity_id", "term", "seq", "kind"]


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    if "entity_id" not in {c["name"] for c in inspector.get_columns("search_term")}:
        op.add_column("search_term", sa.Column("entity_id", sa.String(255), nullable=True))
    fill(conn)
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("search_term")}
    if indexes.get("ix_search_term_cover") != COVER:
        if "ix_search_term_cover" in indexes:
            op.drop_index("ix_search_term_cover", table_name="search_term")
        op.create_index("ix_search_term_cover", "search_term", COVER)
    if "ix_search_term_entity" not in indexes:
        op.create_index("ix_search_term_entity", "search_term", ENTITY)
    # Statistics for the new indexes and the rewritten rows: without them SQLite's planner
    # kept reading a word's rows through the primary key, a table fetch per row for the
    # entity (seen at 1M), instead of the covering index.
    conn.execute(sa.text("ANALYZE search_term"))


def downgrade() -> None:
    op.drop_index("ix_search_term_entity", table_name="search_term")
    op.drop_index("ix_search_term_cover", table_name="search_term")
    op.create_index("ix_search_term_cover", "search_term", OLD_COVER)
    op.drop_column("search_term", "entity_id")


def fill(conn: sa.Connection) -> int:
    """Copy each statement's entity into its term rows that have none; returns the rows
    filled (0 when run a second time)."""
    if conn.dialect.name == "postgresql":
        sql = (
            "UPDATE search_term AS t SET entity_id = s.entity_id FROM statement AS s "
            "WHERE s.seq = t.seq AND t.entity_id IS NULL"
        )
    else:
        sql = (
            "UPDATE search_term SET entity_id = "
            "(SELECT s.entity_id FROM statement AS s WHERE s.seq = search_term.seq) "
            "WHERE entity_id IS NULL"
        )
    return int(conn.execute(sa.text(sql)).rowcount)
