from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase

# metric -> Plan attribute holding its limit; api_requests is metered but not limited.
METRIC_LIMITS = {
    "bookings_created": "bookings_per_month",
    "active_workers": "max_workers",
    "storage_bytes": "storage_bytes",
    "api_requests": None,
    "sms_segments": "sms_segments_per_month",
}
# Metrics that count per billing period (reset each period); the others are gauges.
PERIODIC_METRICS = frozenset({"bookings_created", "api_requests", "sms_segments"})
# Gauges have a single counter row, filed under this date; periodic metrics have one per period.
GAUGE_PERIOD = date(1970, 1, 1)


class Plan(CPBase):
    """A SaaS plan. Plans are data: operators edit them; signup starts on ``free``."""

    __tablename__ = "plans"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="usd", server_default="usd")
    max_workers: Mapped[int] = mapped_column(Integer)
    bookings_per_month: Mapped[int] = mapped_column(Integer)
    storage_bytes: Mapped[int] = mapped_column(BigInteger)
    sms_segments_per_month: Mapped[int] = mapped_column(Integer, server_default="0")
    stripe_price_id: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def limit_for(self, metric: str) -> int | None:
        attr = METRIC_LIMITS[metric]
        return None if attr is None else getattr(self, attr)


class UsageCounter(CPBase):
    """Usage per tenant, metric and period (calendar month, UTC; GAUGE_PERIOD for gauges): the
    row ``entitlements.consume`` updates atomically."""

    __tablename__ = "usage_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class UsageEvent(CPBase):
    __tablename__ = "usage_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
