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
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase


class Customer(TenantBase):
    """A person who asked for a quote or was entered by staff; leads attach by e-mail, else
    phone. ``email`` is lower-case (CHECK), ``phone`` is E.164."""

    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "uq_customers_email", "email", unique=True, postgresql_where=text("email IS NOT NULL")
        ),
        Index("ix_customers_phone", "phone"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, server_default="false")
    sms_opt_in_source: Mapped[str | None] = mapped_column(String(32))
    sms_opt_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    auto_charge: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    anonymized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Property(TenantBase):
    """A place a customer has cleaned. ``home`` is an ``/estimate`` request (beds, baths, ...).
    Leads and bookings point at one; a property with bookings is archived, never deleted."""

    __tablename__ = "properties"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    access_notes: Mapped[str | None] = mapped_column(String(500))
    key_notes: Mapped[str | None] = mapped_column(String(500))
    parking: Mapped[str | None] = mapped_column(String(500))
    pets: Mapped[str | None] = mapped_column(String(500))
    allergies: Mapped[str | None] = mapped_column(String(500))
    home: Mapped[dict | None] = mapped_column(JSONB)
    notes: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


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
