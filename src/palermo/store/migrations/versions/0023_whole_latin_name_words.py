"""search terms of Latin name words kept whole beside their parts (a glued article)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 09:00:00.000000

The name parts drop a glued Arabic article: "Elmira" is indexed as ``mira``, "Elmasri" as
``masri``, "Alhassan" as ``hassan``. The whole word typed is found (it is split the same
way), but a prefix typed while searching (``elmi``, ``alhas``) reached no term, so the
search box missed these names until the last letter. ``search_index._name_terms`` now also
keeps a Latin word whole; this migration adds the whole-word terms to the names already
stored with the function every write uses (``search_index.reindex_names``).

Only current statements of name-like properties with a word beginning ``el`` or ``al``
(either case) are read: the articles the name parts strip. A name without one gets no new
term (its whole word is already its one part). Running it again changes nothing; the
downgrade leaves the extra terms, which only make prefixes findable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reindex_glued_articles(op.get_bind())


def downgrade() -> None:
    pass


def reindex_glued_articles(conn: Connection) -> int:
    """Re-make the terms of names with a word starting ``el``/``al``; returns the term
    rows deleted plus inserted."""
    from palermo.store.search_index import reindex_names
    from palermo.store.tables import statement

    value = sa.func.lower(statement.c.value)
    holds: sa.ColumnElement[bool]
    if conn.dialect.name == "postgresql":
        holds = value.op("~")(r"(^|[^[:alpha:]])(el|al)[[:alpha:]]")
    else:
        holds = sa.or_(
            *(
                value.like(f"{lead}{article}%")
                for lead in ("", "% ", "%-")
                for article in ("el", "al")
            )
        )
    return reindex_names(conn, holds)
