"""tenant: versioned pricing config

Revision ID: t0002_pricing
Revises: t0001
Create Date: 2026-11-28 17:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "t0002_pricing"
down_revision: str | Sequence[str] | None = "t0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """One row per pricing config version; the highest version is current."""
    op.create_table(
        "pricing_configs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("config_hash", sa.String(length=71), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_pricing_configs_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_configs")),
        sa.UniqueConstraint("version", name=op.f("uq_pricing_configs_version")),
    )


def downgrade() -> None:
    op.drop_table("pricing_configs")
