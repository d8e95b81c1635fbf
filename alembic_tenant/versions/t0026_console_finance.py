"""Console finance speed: the invoices owing now by a partial index; revenue and collections by
month from covering indexes

Revision ID: t0026_console_finance
Revises: t0025_invoice_dunning
Create Date: 2026-12-06 11:00:00

Issue #30 (SPEC §10): the console's AR aging and Reports pages p95 ≤ 100 ms with a year of
invoices. ``ix_invoices_owing`` holds only the invoices owing now (a few percent: AR aging and the
aging chart stop scanning a year of settled ones; its predicate is
``reports.finance.owing_now()``'s); ``ix_invoices_issue_money`` and
``ix_invoice_payments_received_money`` carry the amounts so revenue by month reads the indexes
alone. Indexes only: code of this release works on either side of it (``TENANT_MIN_REVISION``
unchanged), only slower before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "t0026_console_finance"
down_revision: str | Sequence[str] | None = "t0025_invoice_dunning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_invoices_owing ON invoices (due_date)"
        " WHERE total_cents - credited_cents - paid_cents + refunded_cents > 0"
    )
    op.execute(
        "CREATE INDEX ix_invoices_issue_money ON invoices (issue_date)"
        " INCLUDE (status, subtotal_cents, tax_cents)"
    )
    op.execute(
        "CREATE INDEX ix_invoice_payments_received_money ON invoice_payments (received_on)"
        " INCLUDE (amount_cents)"
    )


def downgrade() -> None:
    op.drop_index("ix_invoice_payments_received_money", table_name="invoice_payments")
    op.drop_index("ix_invoices_issue_money", table_name="invoices")
    op.drop_index("ix_invoices_owing", table_name="invoices")
