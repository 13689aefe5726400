"""retention: per-agency jurisdiction, the review queue and the decisions on record clocks

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 13:40:00.000000

``retention_setting`` (which jurisdiction's coded periods an agency follows),
``retention_queue`` (records at review, per owner) and ``retention_decision`` (keep, erase,
expire), all node-private and read only through ``palermo.coordination.retention``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "retention_setting",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency"),
    )
    op.create_table(
        "retention_queue",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "entity_id"),
    )
    op.create_table(
        "retention_decision",
        sa.Column("id", seq, autoincrement=True, nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_review", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_retention_decision_agency_entity", "retention_decision", ["agency", "entity_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_retention_decision_agency_entity", table_name="retention_decision")
    op.drop_table("retention_decision")
    op.drop_table("retention_queue")
    op.drop_table("retention_setting")
