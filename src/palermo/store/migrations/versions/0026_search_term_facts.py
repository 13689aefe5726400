"""search_term copies its statement's immutable facts: a word read alone needs no statement

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 18:00:00.000000

A one-word search (a surname, a document number, a phone) read every index row of its
word with its statement, one table fetch per row, only to decide whether the viewer may
read it: the owner ``agency`` and ``policy_id`` (``visibility.may_see``, ``is_masked``),
the ``key`` (a later retraction, ``is_current``) and the ``prop`` (searchable values
only); the hit row also carries the ``schema``. Each term row now copies these five
columns of its statement (``search_index.FACTS``), written with it (``bulk._flush``,
``index_statements``, ``reindex_names``), so the rule is applied to the index rows and
statements are fetched for the page only
(docs/adr/0032-search-words-among-candidates-and-audit-beside-the-page.md, fourth
amendment; issue 16). They are facts of the statement row, which is never updated; the
sharing decision itself (a policy's audience, group membership, handling) is not copied
and is still read live.

The columns are added nullable and filled from ``statement`` by seq (one ``UPDATE``),
then ``ix_search_term_cover`` is rebuilt to end with them (a word's rows with their facts
from the index alone) and the table analysed. On PostgreSQL the count trigger of 0024
fires on every ``UPDATE`` (transition tables take no column list) and would recount every
term for nothing (no term changes): it is disabled for the fill, inside this migration's
transaction. Like 0022, the upgrade checks what is there and fills only rows without
facts, so it completes on a re-run; a term row whose statement is gone keeps nulls, and a
row without facts is never readable (``may_see`` fails on nulls).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

FACTS = {
    "schema": sa.String(64),
    "prop": sa.String(64),
    "agency": sa.String(64),
    "policy_id": sa.String(40),
    "key": sa.String(40),
}
OLD_COVER = ["term", "seq", "kind", "entity_id"]
COVER = [*OLD_COVER, *FACTS]
UPDATE_TRIGGER = "search_term_counted_update"


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    columns = {c["name"] for c in inspector.get_columns("search_term")}
    for name, kind in FACTS.items():
        if name not in columns:
            op.add_column("search_term", sa.Column(name, kind, nullable=True))
    fill(conn)
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("search_term")}
    if indexes.get("ix_search_term_cover") != COVER:
        if "ix_search_term_cover" in indexes:
            op.drop_index("ix_search_term_cover", table_name="search_term")
        op.create_index("ix_search_term_cover", "search_term", COVER)
    conn.execute(sa.text("ANALYZE search_term"))


def downgrade() -> None:
    op.drop_index("ix_search_term_cover", table_name="search_term")
    op.create_index("ix_search_term_cover", "search_term", OLD_COVER)
    for name in reversed(list(FACTS)):
        op.drop_column("search_term", name)


def fill(conn: sa.Connection) -> int:
    """Copy each statement's facts into its term rows that have none; returns the rows
    filled (0 when run a second time)."""
    names = list(FACTS)
    if conn.dialect.name == "postgresql":
        assigned = ", ".join(f'"{n}" = s."{n}"' for n in names)
        sql = (
            f"UPDATE search_term AS t SET {assigned} FROM statement AS s "
            "WHERE s.seq = t.seq AND t.agency IS NULL"
        )
        trigger = conn.execute(
            sa.text("SELECT 1 FROM pg_trigger WHERE tgname = :name"), {"name": UPDATE_TRIGGER}
        ).first()
        if trigger is not None:  # no term changes: nothing to recount
            conn.execute(sa.text(f"ALTER TABLE search_term DISABLE TRIGGER {UPDATE_TRIGGER}"))
        filled = int(conn.execute(sa.text(sql)).rowcount)
        if trigger is not None:
            conn.execute(sa.text(f"ALTER TABLE search_term ENABLE TRIGGER {UPDATE_TRIGGER}"))
        return filled
    listed = ", ".join(f'"{n}"' for n in names)
    taken = ", ".join(f's."{n}"' for n in names)
    sql = (
        f"UPDATE search_term SET ({listed}) = "
        f"(SELECT {taken} FROM statement AS s WHERE s.seq = search_term.seq) "
        "WHERE agency IS NULL"
    )
    return int(conn.execute(sa.text(sql)).rowcount)
