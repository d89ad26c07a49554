"""Plan sync digests (re-schedule a plan's reminders only when its timeline changed) and an
outbox index by plan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_sync",
        sa.Column("plan_id", sa.String(128), primary_key=True),
        sa.Column("digest", sa.String(40), nullable=False),
        sa.Column("synced_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_outbox_plan_status", "outbox", ["plan_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_plan_status", table_name="outbox")
    op.drop_table("plan_sync")
