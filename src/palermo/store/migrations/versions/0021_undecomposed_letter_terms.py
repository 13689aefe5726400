"""search terms of names with ı ø ł đ ß æ œ þ ð: made again with those letters spelled out

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 05:30:00.000000

``names._latin_text`` dropped the Latin letters Unicode does not decompose, so the terms
stored for "Łukasz Nowak" were ``ukasz`` and ``nowak``: a search for Łukasz or Lukasz
found nothing. It now spells them as ICU's Latin-ASCII does (``names.UNDECOMPOSED``:
lukasz, soren, adivar, strauss; docs/adr/0053-chinese-syllable-initials-and-transcription-rules.md,
amendments). This migration re-makes the terms of exactly the current statements of
name-like properties whose value holds such a letter (``names.undecomposed_letters``)
with the function every write uses (``search_index.terms``): a term no longer produced
is deleted, a missing one inserted, any other term and any other statement is left as
it is. Running it again changes nothing.

The statements are found by one scan of the name-like properties' values: a regular
expression with one character class on PostgreSQL, ``instr`` on SQLite (which has no
regular expressions). With no such name stored the scan returns nothing and nothing is
written. The downgrade leaves the terms as they are: making the fragments (``ukasz``)
again would only make these names unfindable again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reindex_undecomposed(op.get_bind())


def downgrade() -> None:
    pass


def reindex_undecomposed(conn: Connection) -> int:
    """Re-make the search terms of the names holding an undecomposable letter; returns
    the number of term rows deleted plus inserted (0 when run a second time). The terms
    come from the application's own normaliser: a literal copy here would drift from
    what writes and queries compute (as in migration 0008)."""
    from palermo.match.names import undecomposed_letters
    from palermo.store.search_index import reindex_names
    from palermo.store.tables import statement

    letters = undecomposed_letters()
    value = statement.c.value
    holds: sa.ColumnElement[bool]
    if conn.dialect.name == "postgresql":
        holds = value.op("~")(f"[{letters}]")
    else:
        holds = sa.or_(*(sa.func.instr(value, letter) > 0 for letter in letters))
    return reindex_names(conn, holds, with_entity=False)  # 0022 adds and fills the entity
