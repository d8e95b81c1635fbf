"""tenant moves between shards (resumable move state)

Revision ID: cp0006_shards
Revises: cp0007_connect
Create Date: 2026-11-28 17:45:00.000000

Chained on the head of the branch it was written on (cp0002_pool) so the track keeps one head;
the lead rebases ``down_revision`` when merging.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "cp0006_shards"
down_revision: str | Sequence[str] | None = "cp0007_connect"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_moves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("schema_name", sa.String(length=40), nullable=False),
        sa.Column("source_shard", sa.String(length=64), nullable=False),
        sa.Column("target_shard", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("verified", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running','failed','done')", name=op.f("ck_tenant_moves_status")
        ),
        sa.CheckConstraint(
            "schema_name ~ '^t_[0-9a-f]{12,32}$'", name=op.f("ck_tenant_moves_schema_name")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_tenant_moves_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_moves")),
        schema="public",
    )
    op.create_index(
        op.f("ix_tenant_moves_tenant_id"), "tenant_moves", ["tenant_id"], schema="public"
    )
    op.create_index(
        "uq_tenant_moves_open",
        "tenant_moves",
        ["tenant_id"],
        unique=True,
        schema="public",
        postgresql_where=sa.text("status <> 'done'"),
    )


def downgrade() -> None:
    op.drop_index("uq_tenant_moves_open", table_name="tenant_moves", schema="public")
    op.drop_index(op.f("ix_tenant_moves_tenant_id"), table_name="tenant_moves", schema="public")
    op.drop_table("tenant_moves", schema="public")
