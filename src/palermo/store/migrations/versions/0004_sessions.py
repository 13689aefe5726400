"""sessions: disabled users, token expiry for every token, failed-login counter

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:25:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Tokens created before every token had an expiry get this many days from now.
BACKFILL_DAYS = 90


def upgrade() -> None:
    # A plain ADD COLUMN (not a batch copy of the table: on SQLite that would drop app_user,
    # which the tokens, subscriptions and alerts of an existing node reference).
    op.add_column(
        "app_user",
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "login_failure",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("username", "address", "created_at"):
        op.create_index(f"ix_login_failure_{column}", "login_failure", [column], unique=False)
    # Tokens that never expired now expire; the date is computed here, not in SQL, so the
    # statement is the same on SQLite and PostgreSQL.
    token = sa.table(
        "api_token",
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        token.update()
        .where(token.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=BACKFILL_DAYS))
    )


def downgrade() -> None:
    for column in ("username", "address", "created_at"):
        op.drop_index(f"ix_login_failure_{column}", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_column("app_user", "disabled")
