"""connect accounts

Revision ID: cp0007_connect
Revises: cp0005_billing
Create Date: 2026-11-28 18:16:57.795003

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cp0007_connect"
down_revision: str | Sequence[str] | None = "cp0005_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connect_accounts",
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_connect_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_connect_accounts")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_connect_accounts_tenant_id")),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("connect_accounts", schema="public")
