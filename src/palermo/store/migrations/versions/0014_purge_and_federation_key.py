"""purge, federation key, remote hit notices: erased records awaiting purge, the PPRL
federation secret, hit notices owed to other nodes

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 16:30:00.000000

``retention_purge`` lists each record erased by retention (its owner, entity id and the
highest statement seq the erasure covers) until its rows are physically deleted, and then
when (coordination/retention_purge.py). ``pprl_federation_key`` holds the federation's
shared secret for keyed Bloom-filter encodings, node-private like the deconfliction
secret: no API returns it and backups seal it (store/backup.py ``SECRET_TABLES``).
``hit_notice_outbox`` queues hit notices for the owner's node when the hit record was
received from it (coordination/hit_notice_relay.py). ``ix_statement_write_id`` lets a purge recount the statements left of each write it
touched without a full scan.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_purge",
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statements", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("agency", "entity_id", "through_seq"),
    )
    op.create_table(
        "pprl_federation_key",
        sa.Column("federation", sa.String(length=128), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("federation"),
    )
    op.create_index("ix_statement_write_id", "statement", ["write_id"])
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "hit_notice_outbox",
        sa.Column("id", seq, autoincrement=True, nullable=False),
        sa.Column("node_id", sa.String(length=128), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hit_notice_outbox_node_id", "hit_notice_outbox", ["node_id"])


def downgrade() -> None:
    op.drop_index("ix_hit_notice_outbox_node_id", table_name="hit_notice_outbox")
    op.drop_table("hit_notice_outbox")
    op.drop_index("ix_statement_write_id", table_name="statement")
    op.drop_table("pprl_federation_key")
    op.drop_table("retention_purge")
