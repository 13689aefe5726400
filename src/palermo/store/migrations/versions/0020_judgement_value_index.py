"""judgement index: a MatchJudgement's ``left``/``right`` values, to find the judgements
touching given records

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 05:00:00.000000

The single-record identity lookup (``match.identity_lookup``, ``GET
/api/v1/identities/of/{id}``) read every judgement the viewer may read, so its cost grew
with the agency's judgements, not with the identity it shows. It now reads only the
judgements naming one of the identity's records (``match.judgement_lookup``) through a
partial index on ``statement`` (value, entity_id) over the ``left`` and ``right``
statements of MatchJudgements alone: record ids, short (a judgement's free-text reason is
not indexed), so the lookup is an index probe per record and the index stays as small as
the judgements. Issue 15, docs/adr/0046-review-queue-and-splits-from-the-ledger.md
(amendments). SQLite and PostgreSQL both build partial indexes; no row is rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

WHERE = "schema = 'MatchJudgement' AND prop IN ('left', 'right')"  # tables.JUDGEMENT_ENDS


def upgrade() -> None:
    op.create_index(
        "ix_statement_judgement_value",
        "statement",
        ["value", "entity_id"],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_statement_judgement_value", table_name="statement")
