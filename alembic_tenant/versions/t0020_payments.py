"""Getting paid online: invoice Checkout Sessions, cards on file, auto-charges, overpayments,
disputed invoices

Revision ID: t0020_payments
Revises: t0019_sms
Create Date: 2026-12-06 07:40:00

Offline-safe (DDL only): new tables and two nullable columns on ``invoices``.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0020_payments"
down_revision: str | Sequence[str] | None = "t0019_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now():
    return sa.text("now()")


def upgrade() -> None:
    op.add_column("invoices", sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invoices", sa.Column("dispute_id", sa.String(length=255), nullable=True))
    op.create_table(
        "invoice_checkouts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_invoice_checkouts_amount")),
        sa.CheckConstraint(
            "status IN ('open','expired','completed')", name=op.f("ck_invoice_checkouts_status")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_checkouts_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_checkouts")),
        sa.UniqueConstraint("invoice_id", "attempt", name="uq_invoice_checkouts_attempt"),
        sa.UniqueConstraint("session_id", name=op.f("uq_invoice_checkouts_session_id")),
    )
    op.create_table(
        "customer_cards",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=False),
        sa.Column("payment_method_id", sa.String(length=255), nullable=True),
        sa.Column("brand", sa.String(length=32), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("exp_month", sa.SmallInteger(), nullable=True),
        sa.Column("exp_year", sa.SmallInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_cards_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_cards")),
        sa.UniqueConstraint(
            "stripe_customer_id", name=op.f("uq_customer_cards_stripe_customer_id")
        ),
    )
    op.create_table(
        "invoice_charges",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempt", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("in_flight", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending','succeeded','failed','cancelled')",
            name=op.f("ck_invoice_charges_status"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_charges_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_charges")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_invoice_charges_invoice_id")),
    )
    op.create_index(
        "ix_invoice_charges_due",
        "invoice_charges",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "invoice_overpayments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_intent", sa.String(length=255), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_invoice_overpayments_amount")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_overpayments_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_overpayments")),
        sa.UniqueConstraint("payment_intent", name=op.f("uq_invoice_overpayments_payment_intent")),
    )
    op.create_index(
        op.f("ix_invoice_overpayments_invoice_id"), "invoice_overpayments", ["invoice_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_overpayments_invoice_id"), table_name="invoice_overpayments")
    op.drop_table("invoice_overpayments")
    op.drop_index("ix_invoice_charges_due", table_name="invoice_charges")
    op.drop_table("invoice_charges")
    op.drop_table("customer_cards")
    op.drop_table("invoice_checkouts")
    op.drop_column("invoices", "dispute_id")
    op.drop_column("invoices", "disputed_at")
