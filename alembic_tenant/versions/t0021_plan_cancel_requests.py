"""Expand: plans record a customer's cancel request; invoice numbers and totals are indexed for the
global search

Revision ID: t0021_plan_cancel_requests
Revises: t0020_payments
Create Date: 2026-12-06 07:30:00

Plans (SPEC §5.10, "cancelling the plan sends the tenant a request"): ``plans.cancel_requested_at``
and ``plans.cancel_request_reason`` (nullable). The code maps them, so ``TENANT_MIN_REVISION`` is
this revision.

Search (SPEC §5.9, invoices by number and amount): a GIN trigram index on ``invoices.number``
(``extensions.gin_trgm_ops``, like t0017's) and a b-tree on ``(total_cents, id)``.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0021_plan_cancel_requests"
down_revision: str | Sequence[str] | None = "t0020_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_invoices_number_trgm ON invoices USING gin (number extensions.gin_trgm_ops)"
    )
    op.create_index("ix_invoices_total", "invoices", ["total_cents", "id"])
    op.add_column(
        "plans", sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("plans", sa.Column("cancel_request_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    op.drop_column("plans", "cancel_request_reason")
    op.drop_column("plans", "cancel_requested_at")
    op.drop_index("ix_invoices_total", table_name="invoices")
    op.drop_index("ix_invoices_number_trgm", table_name="invoices")
