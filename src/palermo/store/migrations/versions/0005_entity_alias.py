"""entity alias: the opaque id of an entity whose readable statements are all masked

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 06:22:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Must match palermo.store.visibility.ALIAS_PREFIX (kept literal so the migration does not
# change when the code does).
ALIAS_PREFIX = "masked-"
BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "entity_alias",
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entity_id"),
        sa.UniqueConstraint("alias"),
    )
    _backfill()


def _backfill() -> None:
    """Give every entity that already has a victim-sensitive statement its random alias."""
    statement = sa.table("statement", sa.column("entity_id"), sa.column("policy_id"))
    policy = sa.table("policy", sa.column("id"), sa.column("victim_sensitive"))
    alias = sa.table("entity_alias", sa.column("entity_id"), sa.column("alias"))
    conn = op.get_bind()
    ids = (
        conn.execute(
            sa.select(statement.c.entity_id)
            .distinct()
            .join(policy, policy.c.id == statement.c.policy_id)
            .where(policy.c.victim_sensitive.is_(True))
        )
        .scalars()
        .all()
    )
    batch: list[dict[str, str]] = []
    for entity_id in ids:
        batch.append({"entity_id": entity_id, "alias": ALIAS_PREFIX + secrets.token_hex(16)})
        if len(batch) >= BATCH:
            conn.execute(alias.insert(), batch)
            batch = []
    if batch:
        conn.execute(alias.insert(), batch)


def downgrade() -> None:
    op.drop_table("entity_alias")
