"""invoices, lines, payments, refunds, credit notes, number counters; tax and invoice settings

Revision ID: t0014_invoices
Revises: t0013_branding
Create Date: 2026-12-06 04:10:00

Offline-safe (DDL only; new tables and settings columns with defaults). Issue #24, SPEC §5.11.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "t0014_invoices"
down_revision: str | Sequence[str] | None = "t0013_branding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "series IN ('invoice','credit_note')", name=op.f("ck_document_counters_series")
        ),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_document_counters")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="DRAFT", nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="CAD", nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "tax_rates",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column(
            "taxes", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("subtotal_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credited_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "bill_to", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "seller", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("footer", sa.Text(), nullable=True),
        sa.Column("pay_url", sa.Text(), nullable=True),
        sa.Column("sent_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
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
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'DRAFT') = (number IS NULL)", name=op.f("ck_invoices_number_when_issued")
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT','ISSUED','PARTIALLY_PAID','PAID','REFUNDED','VOID')",
            name=op.f("ck_invoices_status"),
        ),
        sa.CheckConstraint(
            "credited_cents >= 0 AND credited_cents <= total_cents",
            name=op.f("ck_invoices_credited"),
        ),
        sa.CheckConstraint(
            "paid_cents >= 0 AND refunded_cents >= 0", name=op.f("ck_invoices_money_in")
        ),
        sa.CheckConstraint("refunded_cents <= paid_cents", name=op.f("ck_invoices_refund_le_paid")),
        sa.CheckConstraint("total_cents >= 0", name=op.f("ck_invoices_total")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_invoices_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    op.create_index("ix_invoices_customer", "invoices", ["customer_id", "id"], unique=False)
    op.create_index("ix_invoices_issue_date", "invoices", ["issue_date", "id"], unique=False)
    op.create_index("ix_invoices_status_due", "invoices", ["status", "due_date"], unique=False)
    op.create_index(
        "uq_invoices_booking_live",
        "invoices",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text("booking_id IS NOT NULL AND status <> 'VOID'"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "taxes", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("total_cents > 0", name=op.f("ck_credit_notes_total")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_notes_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
    )
    op.create_index("ix_credit_notes_invoice", "credit_notes", ["invoice_id", "id"], unique=False)
    op.create_index(
        "ix_credit_notes_issue_date", "credit_notes", ["issue_date", "id"], unique=False
    )
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("taxable", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("applies_to", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "(kind = 'discount' AND unit_price_cents <= 0) OR (kind <> 'discount' AND unit_price_cents >= 0)",
            name=op.f("ck_invoice_lines_sign"),
        ),
        sa.CheckConstraint(
            "applies_to IS NULL OR applies_to = 'service'", name=op.f("ck_invoice_lines_applies_to")
        ),
        sa.CheckConstraint(
            "kind IN ('service','add_on','discount','fee','tip','custom')",
            name=op.f("ck_invoice_lines_kind"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_lines_quantity")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    op.create_index(
        "ix_invoice_lines_invoice", "invoice_lines", ["invoice_id", "position"], unique=False
    )
    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), server_default="staff", nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("stripe_payment_intent", sa.String(length=255), nullable=True),
        sa.Column("stripe_charge_id", sa.String(length=255), nullable=True),
        sa.Column("refunded_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "method IN ('cash','cheque','etransfer','card_terminal','other','card')",
            name=op.f("ck_invoice_payments_method"),
        ),
        sa.CheckConstraint(
            "source IN ('staff','deposit','online','auto_charge')",
            name=op.f("ck_invoice_payments_source"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_invoice_payments_amount")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_payments_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payments")),
    )
    op.create_index(
        "ix_invoice_payments_invoice", "invoice_payments", ["invoice_id", "id"], unique=False
    )
    op.create_index(
        "ix_invoice_payments_received", "invoice_payments", ["received_on", "id"], unique=False
    )
    op.create_index(
        "uq_invoice_payments_intent",
        "invoice_payments",
        ["stripe_payment_intent"],
        unique=True,
        postgresql_where=sa.text("stripe_payment_intent IS NOT NULL"),
    )
    op.create_table(
        "invoice_refunds",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("credit_note_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("refunded_on", sa.Date(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_invoice_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_invoice_refunds_credit_note_id_credit_notes"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_refunds_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["invoice_payments.id"],
            name=op.f("fk_invoice_refunds_payment_id_invoice_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_refunds")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_invoice_refunds_stripe_refund_id")),
    )
    op.create_index(
        "ix_invoice_refunds_invoice", "invoice_refunds", ["invoice_id", "id"], unique=False
    )
    op.create_index(
        "ix_invoice_refunds_refunded", "invoice_refunds", ["refunded_on", "id"], unique=False
    )
    op.add_column(
        "settings",
        sa.Column(
            "tax_rates",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
    )
    op.add_column("settings", sa.Column("tax_number", sa.String(length=64), nullable=True))
    op.add_column(
        "settings",
        sa.Column("prices_include_tax", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column(
        "settings",
        sa.Column("invoice_prefix", sa.String(length=12), server_default="INV-", nullable=False),
    )
    op.add_column(
        "settings", sa.Column("invoice_due_days", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "settings",
        sa.Column(
            "invoice_on_complete", sa.String(length=8), server_default="issue", nullable=False
        ),
    )
    op.add_column("settings", sa.Column("invoice_footer", sa.Text(), nullable=True))
    op.add_column(
        "settings",
        sa.Column(
            "accounting_revenue_account", sa.String(length=32), server_default="200", nullable=False
        ),
    )
    op.create_check_constraint(
        op.f("ck_settings_invoice_on_complete"),
        "settings",
        "invoice_on_complete IN ('issue','draft','off')",
    )
    op.create_check_constraint(
        op.f("ck_settings_invoice_due_days"), "settings", "invoice_due_days BETWEEN 0 AND 365"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_settings_invoice_due_days"), "settings", type_="check")
    op.drop_constraint(op.f("ck_settings_invoice_on_complete"), "settings", type_="check")
    op.drop_column("settings", "accounting_revenue_account")
    op.drop_column("settings", "invoice_footer")
    op.drop_column("settings", "invoice_on_complete")
    op.drop_column("settings", "invoice_due_days")
    op.drop_column("settings", "invoice_prefix")
    op.drop_column("settings", "prices_include_tax")
    op.drop_column("settings", "tax_number")
    op.drop_column("settings", "tax_rates")
    op.drop_index("ix_invoice_refunds_refunded", table_name="invoice_refunds")
    op.drop_index("ix_invoice_refunds_invoice", table_name="invoice_refunds")
    op.drop_table("invoice_refunds")
    op.drop_index(
        "uq_invoice_payments_intent",
        table_name="invoice_payments",
        postgresql_where=sa.text("stripe_payment_intent IS NOT NULL"),
    )
    op.drop_index("ix_invoice_payments_received", table_name="invoice_payments")
    op.drop_index("ix_invoice_payments_invoice", table_name="invoice_payments")
    op.drop_table("invoice_payments")
    op.drop_index("ix_invoice_lines_invoice", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_credit_notes_issue_date", table_name="credit_notes")
    op.drop_index("ix_credit_notes_invoice", table_name="credit_notes")
    op.drop_table("credit_notes")
    op.drop_index(
        "uq_invoices_booking_live",
        table_name="invoices",
        postgresql_where=sa.text("booking_id IS NOT NULL AND status <> 'VOID'"),
    )
    op.drop_index("ix_invoices_status_due", table_name="invoices")
    op.drop_index("ix_invoices_issue_date", table_name="invoices")
    op.drop_index("ix_invoices_customer", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("document_counters")
