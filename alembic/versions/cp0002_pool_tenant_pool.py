"""warm pool of pre-provisioned tenant schemas

Revision ID: cp0002_pool
Revises: cp0001
Create Date: 2026-11-28 17:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "cp0002_pool"
down_revision: str | Sequence[str] | None = "cp0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_pool",
        sa.Column("schema_name", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "schema_name ~ '^t_[0-9a-f]{12,32}$'", name=op.f("ck_tenant_pool_schema_name")
        ),
        sa.PrimaryKeyConstraint("schema_name", name=op.f("pk_tenant_pool")),
        schema="public",
    )
    op.create_index(
        "ix_tenant_pool_unclaimed",
        "tenant_pool",
        ["revision", "created_at"],
        unique=False,
        schema="public",
        postgresql_where=sa.text("claimed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tenant_pool_unclaimed", table_name="tenant_pool", schema="public")
    op.drop_table("tenant_pool", schema="public")
