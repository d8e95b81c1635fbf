"""tenants.delete_after: end of the retention window of a tenant being deleted (SPEC §2.7)

Revision ID: cp0008_opsrest
Revises: cp0006_shards
Create Date: 2026-11-28 18:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "cp0008_opsrest"
down_revision: str | Sequence[str] | None = "cp0006_shards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=True),
        schema="public",
    )


def downgrade() -> None:
    op.drop_column("tenants", "delete_after", schema="public")
