"""identities: stable identity ids per view, the merge ledger, the trained xref model

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 13:00:00.000000

Three node-private tables for incremental resolution (issue 15, ADR 0015), written only by
``palermo.match.ledger``: ``xref_identity`` (record -> identity per view), ``xref_ledger``
(every merge and split, undoable) and ``xref_model`` (the trained m/u/prior). They start
empty: the first batch run of a view fills them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "xref_identity",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column("identity_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope", "record_id"),
    )
    op.create_index("ix_xref_identity_scope_identity", "xref_identity", ["scope", "identity_id"])
    op.create_table(
        "xref_ledger",
        sa.Column("seq", seq, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("undoes", sa.BigInteger(), nullable=True),
        sa.Column("undone_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_xref_ledger_scope", "xref_ledger", ["scope"])
    op.create_table(
        "xref_model",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_index("ix_xref_model_scope", "xref_model", ["scope"])


def downgrade() -> None:
    op.drop_index("ix_xref_model_scope", table_name="xref_model")
    op.drop_table("xref_model")
    op.drop_index("ix_xref_ledger_scope", table_name="xref_ledger")
    op.drop_table("xref_ledger")
    op.drop_index("ix_xref_identity_scope_identity", table_name="xref_identity")
    op.drop_table("xref_identity")
