"""Dunning: how far each invoice's overdue e-mails have gone (0 none, 1 the 3-day one, 2 the
7-day one)

Revision ID: t0025_invoice_dunning
Revises: t0024_search_speed
Create Date: 2026-12-06 07:50:00

Offline-safe (DDL only): one column with a default (no table rewrite on PostgreSQL ≥ 11).
Invoices issued before it count as "none sent": the first run after the deploy sends each
overdue invoice only its latest notice (the 7-day one when both are past), never both.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0025_invoice_dunning"
down_revision: str | Sequence[str] | None = "t0024_search_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invoices",
        sa.Column("dunning_stage", sa.SmallInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("invoices", "dunning_stage")
