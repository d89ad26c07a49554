"""Users, subscriptions, the reminder outbox and the delivery log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("openid", sa.String(64), primary_key=True),
        sa.Column("last_message_at", sa.DateTime, nullable=True),
        sa.Column("unsubscribed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("series", sa.String(128), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("openid", "kind", "plan_id", "series", "role", name="uq_subscription"),
    )
    op.create_index("ix_subscriptions_openid", "subscriptions", ["openid"])
    op.create_index("ix_subscriptions_plan", "subscriptions", ["plan_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("lead", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", sa.DateTime, nullable=True),
        sa.Column("send_started", sa.DateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_errcode", sa.Integer, nullable=True),
        sa.Column("channel", sa.String(12), nullable=True),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.Column("idem_key", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("openid", "plan_id", "event_id", "lead", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_status_due", "outbox", ["status", "due_at"])
    op.create_index("ix_outbox_openid", "outbox", ["openid"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, nullable=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("errcode", sa.Integer, nullable=True),
        sa.Column("errmsg", sa.String(200), nullable=False, server_default=""),
        sa.Column("worker", sa.String(64), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_deliveries_openid", "deliveries", ["openid"])
    op.create_index("ix_deliveries_outbox", "deliveries", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("outbox")
    op.drop_table("subscriptions")
    op.drop_table("users")
