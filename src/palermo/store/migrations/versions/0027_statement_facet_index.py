"""facet index: an entity's country- and topic-typed statements, for a search's facet values

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 21:30:00.000000

A search's facet values (``search_index._attach_facet_values``) read the countries and
topics of every matched entity the viewer may read unmasked. Through
``ix_statement_entity_id`` that fetched every statement of every matched entity (a bench
person has ten, one of them a nationality) and kept the few of a country- or topic-typed
property. A partial index on ``statement (entity_id)`` over those properties alone finds
just them (docs/adr/0032-search-words-among-candidates-and-audit-beside-the-page.md, fifth
amendment; issue 16). The access rule is unchanged: the rows found are still put through
``visible_statements`` narrowed to unmasked values. No row is rewritten; the predicate is
``tables.FACET_VALUES`` word for word (the query repeats it, so both backends use the
index). SQLite's planner gets the new index's statistics (``ANALYZE`` of the index alone),
without which it may keep the entity index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# tables.FACET_VALUES as of this revision (a migration does not follow later edits).
PROPS = (
    "birthCountry",
    "citizenship",
    "contextCountry",
    "country",
    "departureCountry",
    "destinationCountry",
    "detectedCountry",
    "exploitationCountry",
    "flag",
    "fromCountry",
    "issuingCountry",
    "jurisdiction",
    "mainCountry",
    "nationality",
    "originCountry",
    "pastFlags",
    "recruitmentCountry",
    "requestedCountry",
    "requestingCountry",
    "toCountry",
    "topics",
    "tradingCountry",
)
WHERE = "prop IN (" + ", ".join(f"'{name}'" for name in PROPS) + ")"
INDEX = "ix_statement_facet"


def upgrade() -> None:
    conn = op.get_bind()
    if INDEX in {i["name"] for i in sa.inspect(conn).get_indexes("statement")}:
        return  # completes on a re-run
    op.create_index(
        INDEX,
        "statement",
        ["entity_id"],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text(f"ANALYZE {INDEX}"))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="statement")
