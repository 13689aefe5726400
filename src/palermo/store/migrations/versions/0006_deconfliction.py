"""deconfliction: node-private selectors, node secret, recorded hits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:45:00.000000

Selectors used to be ``DeconflictionSelector`` statements shared with every agency (an HMAC
under a public default key, with the holder's case number and id), and hits carried that
HMAC. Those statements are deleted here: they disclose unshared case references and can be
reversed offline. Agencies republish their cases to get selectors under the node secret.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deconfliction_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scalar", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "deconfliction_selector",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=255), nullable=False),
        sa.Column("case_reference", sa.String(length=255), nullable=False),
        sa.Column("selector_type", sa.String(length=32), nullable=False),
        sa.Column("selector", sa.String(length=64), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency", "case_id", "selector", name="uq_deconfliction_selector"),
    )
    with op.batch_alter_table("deconfliction_selector", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deconfliction_selector_selector"), ["selector"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deconfliction_selector_published_at"), ["published_at"], unique=False
        )
    op.create_table(
        "deconfliction_hit",
        sa.Column("hit_id", sa.String(length=255), nullable=False),
        sa.Column("hit_key", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hit_id"),
        sa.UniqueConstraint("hit_key", "agency", name="uq_deconfliction_hit_party"),
    )
    with op.batch_alter_table("deconfliction_hit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deconfliction_hit_hit_key"), ["hit_key"], unique=False)
    # The old, disclosing selectors and hits (see the module docstring).
    statement = sa.table("statement", sa.column("schema"))
    old = ("DeconflictionSelector", "DeconflictionHit")
    op.execute(statement.delete().where(statement.c.schema.in_(old)))


def downgrade() -> None:
    with op.batch_alter_table("deconfliction_hit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deconfliction_hit_hit_key"))
    op.drop_table("deconfliction_hit")
    with op.batch_alter_table("deconfliction_selector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deconfliction_selector_published_at"))
        batch_op.drop_index(batch_op.f("ix_deconfliction_selector_selector"))
    op.drop_table("deconfliction_selector")
    op.drop_table("deconfliction_secret")
