"""arrival feed: how far each view's resolver has followed the committed writes

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 21:00:00.000000

Records written by another process (a second ``palermo serve`` worker, a CLI import) were
resolved only by the next batch run: the resolvers heard of arrivals only from their own
process. ``xref_arrival`` holds, per view, the audit seq through which its arrivals are
resolved and the claim (holder, lease) of the host resolving the next range, so every
resolver host follows one feed and exactly one of them resolves each range (issue 15,
docs/adr/0033-arrival-feed-across-processes.md). It starts empty: a view's row is created
at the audit head when a resolver host first sees the view.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"  # after task B's 0017: one head (the lead re-chains)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xref_arrival",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("arrivals_seq", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("scope"),
    )


def downgrade() -> None:
    op.drop_table("xref_arrival")
