"""hit notices: owners told of other agencies' hits on their records, with a follow-up clock

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-29 13:00:00.000000

``hit_notice``: one row per (searcher agency, record, UTC day), node-private, read only
through ``palermo.coordination.hit_notices``; ``hit_notice_setting``: per-agency deadline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hit_notice",
        sa.Column("id", BigSeq, autoincrement=True, nullable=False),
        sa.Column("owner_agency", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column("searcher_agency", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_hit_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_by", sa.String(length=128), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("searcher_agency", "record_id", "day", name="uq_hit_notice_daily"),
    )
    with op.batch_alter_table("hit_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hit_notice_owner_agency"), ["owner_agency"])
        batch_op.create_index(batch_op.f("ix_hit_notice_searcher_agency"), ["searcher_agency"])
        batch_op.create_index(batch_op.f("ix_hit_notice_due_at"), ["due_at"])
    op.create_table(
        "hit_notice_setting",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("deadline_hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency"),
    )


def downgrade() -> None:
    op.drop_table("hit_notice_setting")
    with op.batch_alter_table("hit_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hit_notice_due_at"))
        batch_op.drop_index(batch_op.f("ix_hit_notice_searcher_agency"))
        batch_op.drop_index(batch_op.f("ix_hit_notice_owner_agency"))
    op.drop_table("hit_notice")
