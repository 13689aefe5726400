"""xref pairs: every link a view's resolver scored, kept beside its identities

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 00:30:00.000000

The review queue resolved the viewer's records in batch on every build, and an identity
joined through a record its viewer can no longer read stayed joined until the next batch
run: the ledger kept record -> identity but not the links that made the identities.
``xref_pair`` holds, per view, each pair its resolver scored (batch run or arrival) with its
probability, Splink's match weights, the strong identifier or impostor flag, and whether it
joined identities, so the queue reads the ledger's own uncertain pairs and the identities
can be split by the links among readable records at once (issue 15,
docs/adr/0046-review-queue-and-splits-from-the-ledger.md). It starts empty; a view's next
batch run or arrival fills it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xref_pair",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("left_id", sa.String(length=255), nullable=False),
        sa.Column("right_id", sa.String(length=255), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("joins", sa.Boolean(), nullable=False),
        sa.Column("weights", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope", "left_id", "right_id"),
    )
    op.create_index("ix_xref_pair_scope_right", "xref_pair", ["scope", "right_id"])


def downgrade() -> None:
    op.drop_index("ix_xref_pair_scope_right", table_name="xref_pair")
    op.drop_table("xref_pair")
