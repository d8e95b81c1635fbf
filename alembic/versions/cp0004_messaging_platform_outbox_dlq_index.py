"""messaging: platform outbox, DLQ index

Revision ID: cp0004_messaging
Revises: cp0002_pool
Create Date: 2026-11-28 17:15:06.813827

"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cp0004_messaging"
down_revision: str | Sequence[str] | None = "cp0002_pool"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dlq_index",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("dead_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("oldest_dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("scope", "kind", name=op.f("pk_dlq_index")),
        schema="public",
    )
    op.create_table(
        "platform_outbox",
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("provider_ref", sa.String(length=255), nullable=True),
        sa.Column("replay_count", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('email','webhook')", name=op.f("ck_platform_outbox_kind")),
        sa.CheckConstraint(
            "status IN ('pending','sending','sent','dead','skipped')",
            name=op.f("ck_platform_outbox_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_platform_outbox_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_platform_outbox_dedupe_key")),
        schema="public",
    )
    op.create_index(
        "ix_platform_outbox_due",
        "platform_outbox",
        ["next_attempt_at", "id"],
        unique=False,
        schema="public",
        postgresql_where=sa.text("status IN ('pending','sending')"),
    )
    op.create_index(
        "ix_platform_outbox_status_id",
        "platform_outbox",
        ["status", "id"],
        unique=False,
        schema="public",
    )


def downgrade() -> None:
    op.drop_index("ix_platform_outbox_status_id", table_name="platform_outbox", schema="public")
    op.drop_index("ix_platform_outbox_due", table_name="platform_outbox", schema="public")
    op.drop_table("platform_outbox", schema="public")
    op.drop_table("dlq_index", schema="public")
