"""A recurring service plan: its rule, frozen price, team and state (SPEC §5.10).

Visits are ordinary bookings carrying ``plan_id`` and ``occurrence_date`` (UNIQUE together, see
``tenantapp.bookings.models``), so everything that works on bookings works on visits.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

PLAN_STATUSES = ("ACTIVE", "PAUSED", "CANCELLED", "ENDED")


class ServicePlan(TenantBase):
    """A customer's recurring visits: rule segments in the plan's zone, frozen estimate, team."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("status IN ('ACTIVE','PAUSED','CANCELLED','ENDED')", name="status"),
        CheckConstraint("frequency IN ('weekly','biweekly','monthly')", name="frequency"),
        CheckConstraint("max_visits IS NULL OR max_visits >= 1", name="max_visits"),
        Index("ix_plans_status_horizon", "status", "materialised_through"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(ForeignKey("properties.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    frequency: Mapped[str] = mapped_column(String(16))
    rrule: Mapped[str] = mapped_column(Text)
    segments: Mapped[list] = mapped_column(JSONB)
    time_zone: Mapped[str] = mapped_column(String(64))
    first_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    worker_ids: Mapped[list] = mapped_column(JSONB, server_default="[]")
    service_type: Mapped[str] = mapped_column(String(16))
    estimate_request: Mapped[dict] = mapped_column(JSONB)
    estimate: Mapped[dict] = mapped_column(JSONB)
    pricing_config_version: Mapped[int] = mapped_column(Integer)
    config_hash: Mapped[str] = mapped_column(String(80))
    total_before_tax_cents: Mapped[int] = mapped_column(Integer)
    ends_on: Mapped[date | None] = mapped_column(Date)
    max_visits: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    paused_from: Mapped[date | None] = mapped_column(Date)
    paused_until: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # The customer asked (signed link or account page) to end the plan; staff decide (§5.10).
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_request_reason: Mapped[str | None] = mapped_column(String(500))
    materialised_through: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
