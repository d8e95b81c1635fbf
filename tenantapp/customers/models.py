from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase


class Customer(TenantBase):
    """A person who asked for a quote; leads attach by e-mail, else phone."""

    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "uq_customers_email", "email", unique=True, postgresql_where=text("email IS NOT NULL")
        ),
        Index("ix_customers_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    anonymized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReferralCredit(TenantBase):
    """A credit earned by a referrer when a referred customer's first booking is confirmed."""

    __tablename__ = "referral_credits"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    referred_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    redeemed_booking_id: Mapped[int | None] = mapped_column(BigInteger)
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
