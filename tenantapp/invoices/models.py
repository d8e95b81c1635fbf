"""Invoices, their lines, payments, refunds and credit notes, and the gapless number counters.

Money is integer cents. An invoice's totals and its ``paid``/``refunded``/``credited`` sums are
stored on the row and changed in the same transaction as the row that changes them (a payment, a
refund, a credit note), under the invoice's row lock, so a read never adds up children.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

INVOICE_STATUSES = ("DRAFT", "ISSUED", "PARTIALLY_PAID", "PAID", "REFUNDED", "VOID")
LINE_KINDS = ("service", "add_on", "discount", "fee", "tip", "custom")
# ``card`` is written by online payments and the deposit (Stripe); staff record the others.
PAYMENT_METHODS = ("cash", "cheque", "etransfer", "card_terminal", "other", "card")
STAFF_PAYMENT_METHODS = PAYMENT_METHODS[:-1]


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class Invoice(TenantBase):
    """A bill to a customer; immutable once issued (fixed by credit notes or void)."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(_in("status", INVOICE_STATUSES), name="status"),
        CheckConstraint("total_cents >= 0", name="total"),
        CheckConstraint("paid_cents >= 0 AND refunded_cents >= 0", name="money_in"),
        CheckConstraint("refunded_cents <= paid_cents", name="refund_le_paid"),
        CheckConstraint("credited_cents >= 0 AND credited_cents <= total_cents", name="credited"),
        CheckConstraint("(status = 'DRAFT') = (number IS NULL)", name="number_when_issued"),
        # One live invoice per booking (the 409 of POST /admin/invoices holds under races).
        Index(
            "uq_invoices_booking_live",
            "booking_id",
            unique=True,
            postgresql_where=text("booking_id IS NOT NULL AND status <> 'VOID'"),
        ),
        Index("ix_invoices_customer", "customer_id", "id"),
        Index("ix_invoices_status_due", "status", "due_date"),
        Index("ix_invoices_issue_date", "issue_date", "id"),
        # t0026: the few invoices owing now (AR aging, the Reports chart) without reading a
        # year of settled ones; the predicate is reports.finance.owing_now()'s, word for word.
        Index(
            "ix_invoices_owing",
            "due_date",
            postgresql_where=text("total_cents - credited_cents - paid_cents + refunded_cents > 0"),
        ),
        # t0026: revenue by month reads the index alone (no heap visit per invoice).
        Index(
            "ix_invoices_issue_money",
            "issue_date",
            postgresql_include=["status", "subtotal_cents", "tax_cents"],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default="DRAFT")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), server_default="CAD")
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # The rates in force when the figures were computed ([{code, name, rate, ...}]), and the
    # result per rate ([{code, name, rate, taxable_cents, tax_cents}]): frozen at issue.
    tax_rates: Mapped[list] = mapped_column(JSONB, server_default="[]")
    taxes: Mapped[list] = mapped_column(JSONB, server_default="[]")
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    tax_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    total_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    paid_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refunded_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credited_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # Name, e-mail, phone and address as printed (kept for INVOICE_RETENTION_YEARS, SPEC §5.8).
    bill_to: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    seller: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    notes: Mapped[str | None] = mapped_column(Text)
    footer: Mapped[str | None] = mapped_column(Text)
    pay_url: Mapped[str | None] = mapped_column(Text)  # the online payment link (issue #25)
    sent_count: Mapped[int] = mapped_column(Integer, server_default="0")
    void_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A card payment the customer disputed at their bank (``charge.dispute.created``): flagged
    # for staff until they deal with it in Stripe.
    disputed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispute_id: Mapped[str | None] = mapped_column(String(255))
    # Dunning (SPEC §5.11): 0 none sent, 1 the 3-day ``invoice_overdue`` sent, 2 the 7-day one.
    dunning_stage: Mapped[int] = mapped_column(SmallInteger, server_default="0")


class InvoiceLine(TenantBase):
    """One line; ``amount_cents`` = quantity × unit price, rounded half-up to the cent."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint(_in("kind", LINE_KINDS), name="kind"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "(kind = 'discount' AND unit_price_cents <= 0) "
            "OR (kind <> 'discount' AND unit_price_cents >= 0)",
            name="sign",
        ),
        CheckConstraint("applies_to IS NULL OR applies_to = 'service'", name="applies_to"),
        Index("ix_invoice_lines_invoice", "invoice_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    taxable: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # A discount on the service only ('service': the recurring discount) or, when NULL, spread
    # pro rata over every line (a credit): see tenantapp/invoices/tax.py.
    applies_to: Mapped[str | None] = mapped_column(String(16))


class InvoicePayment(TenantBase):
    """Money received against an invoice: recorded by staff, the booking deposit, or online."""

    __tablename__ = "invoice_payments"
    __table_args__ = (
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount_cents > 0", name="amount"),
        CheckConstraint("source IN ('staff','deposit','online','auto_charge')", name="source"),
        Index("ix_invoice_payments_invoice", "invoice_id", "id"),
        Index("ix_invoice_payments_received", "received_on", "id"),
        # t0026: money collected by month reads the index alone.
        Index(
            "ix_invoice_payments_received_money", "received_on", postgresql_include=["amount_cents"]
        ),
        Index(
            "uq_invoice_payments_intent",
            "stripe_payment_intent",
            unique=True,
            postgresql_where=text("stripe_payment_intent IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), server_default="staff")
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(200))
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255))
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    refunded_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InvoiceRefund(TenantBase):
    """Money given back; a refund comes with a credit note of the same amount (SPEC §5.11).

    One kind comes without a note: a **chargeback** (``method = "chargeback"``), the money a
    bank took back when a card dispute was lost. Nothing was credited, so the invoice owes that
    money again. Its ``stripe_refund_id`` holds the Stripe dispute id (``dp_…``), the object that
    moved the money; the column's uniqueness records a dispute once.
    """

    __tablename__ = "invoice_refunds"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount"),
        Index("ix_invoice_refunds_invoice", "invoice_id", "id"),
        Index("ix_invoice_refunds_refunded", "refunded_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_payments.id"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    refunded_on: Mapped[date] = mapped_column(Date)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CreditNote(TenantBase):
    """A numbered reduction of an issued invoice (``CN-<year>-<6 digits>``)."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint("total_cents > 0", name="total"),
        Index("ix_credit_notes_invoice", "invoice_id", "id"),
        Index("ix_credit_notes_issue_date", "issue_date", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    lines: Mapped[list] = mapped_column(JSONB)
    taxes: Mapped[list] = mapped_column(JSONB, server_default="[]")
    subtotal_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DocumentCounter(TenantBase):
    """The last number given per series (``invoice``, ``credit_note``) and year: the row is
    locked by the issuing transaction, so a rollback leaves no gap (a sequence would)."""

    __tablename__ = "document_counters"
    __table_args__ = (CheckConstraint("series IN ('invoice','credit_note')", name="series"),)

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
