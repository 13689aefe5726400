"""handling consent: a provider agency's consent to use H1/H2 data beyond its handling code

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 16:20:00.000000

``handling_consent`` records that the provider of a value (or of every value of an entity)
consented to a use its Europol handling code otherwise forbids (``court`` for H1), for one
receiving agency. Node-private, read only through ``palermo.store.handling_consent``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "handling_consent",
        sa.Column("id", seq, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("use", sa.String(length=32), nullable=False),
        sa.Column("granted_to", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "target", "use", "granted_to", name="uq_handling_consent"),
    )


def downgrade() -> None:
    op.drop_table("handling_consent")
