"""Stripe Connect rows of the tenant: webhook events applied once, invoice Checkout Sessions,
the card on file per customer, auto-charge attempts and payments refunded as excess."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase


class ConnectEvent(TenantBase):
    """A connected-account webhook event, stored in the transaction that applies it (once)."""

    __tablename__ = "stripe_connect_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class InvoiceCheckout(TenantBase):
    """One Checkout Session opened to pay an invoice online. ``attempt`` numbers the sessions of
    an invoice (the idempotency key ``invoice:<id>:<amount_due_cents>:<attempt>``): an open one
    for the same amount is handed out again, an expired one makes the next attempt."""

    __tablename__ = "invoice_checkouts"
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt", name="uq_invoice_checkouts_attempt"),
        CheckConstraint("status IN ('open','expired','completed')", name="status"),
        CheckConstraint("amount_cents > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payment_intent: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CardOnFile(TenantBase):
    """A customer's Stripe Customer on the connected account and the card saved on it (from the
    deposit Checkout or a card-setup link). Only what a person needs to recognise it is kept."""

    __tablename__ = "customer_cards"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(SmallInteger)
    exp_year: Mapped[int | None] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class InvoiceCharge(TenantBase):
    """The auto-charge of one invoice: attempt 1 at issue, retries 3 and 7 days later, then
    staff are told. ``in_flight`` marks an attempt sent to Stripe and not yet recorded: a rerun
    repeats the same attempt (same idempotency key), never a new one."""

    __tablename__ = "invoice_charges"
    __table_args__ = (
        CheckConstraint("status IN ('pending','succeeded','failed','cancelled')", name="status"),
        Index(
            "ix_invoice_charges_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempt: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    in_flight: Mapped[bool] = mapped_column(Boolean, server_default="false")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_intent: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Overpayment(TenantBase):
    """Card money that arrived for an invoice with less (or nothing) left to pay: refunded
    automatically through Stripe (one row per PaymentIntent, so a replay refunds once)."""

    __tablename__ = "invoice_overpayments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_intent: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
