"""Billing state per tenant, the Stripe events seen, and the usage reported to Stripe Meters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase


class BillingAccount(CPBase):
    """A tenant's Stripe customer and subscription, as last told by Stripe's events.

    ``state_at`` is the ``created`` time of the event whose subscription state is applied: older
    events arriving late are recorded but do not overwrite newer state.
    """

    __tablename__ = "billing_accounts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(100), index=True)
    subscription_status: Mapped[str | None] = mapped_column(String(32))
    subscription_plan: Mapped[str | None] = mapped_column(ForeignKey("public.plans.code"))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delinquent_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_linked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class StripeEvent(CPBase):
    """One platform webhook event, stored in the transaction that applied it (processed once)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    stripe_created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(100), index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # applied | stale | ignored | unmatched (kept with its payload until its tenant is known)
    outcome: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class MeterReport(CPBase):
    """A usage event sent (or to be sent) to Stripe Billing Meters; ``identifier`` is also the
    idempotency key, so a retry after an error or a crash never counts twice at Stripe."""

    __tablename__ = "meter_reports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    usage_event_id: Mapped[int] = mapped_column(
        ForeignKey("public.usage_events.id", ondelete="CASCADE"), unique=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True
    )
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    event_name: Mapped[str] = mapped_column(String(100))
    stripe_customer_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
