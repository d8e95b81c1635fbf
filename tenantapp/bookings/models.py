from __future__ import annotations

from datetime import date, datetime

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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase
from tenantapp.bookings.slot_cache import booking_written

BOOKING_STATUSES = ("PENDING", "CONFIRMED", "DONE", "CANCELLED", "SKIPPED")
DEPOSIT_STATUSES = ("pending", "paid", "expired", "failed", "refunded")


class Booking(TenantBase):
    """A booked cleaning (the unit of work; workers call it a job)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('PENDING','CONFIRMED','DONE','CANCELLED','SKIPPED')", name="status"
        ),
        CheckConstraint(
            "deposit_status IS NULL OR deposit_status IN "
            "('pending','paid','expired','failed','refunded')",
            name="deposit_status",
        ),
        CheckConstraint("risk_band IN ('LOW','MEDIUM','HIGH')", name="risk_band"),
        CheckConstraint("starts_at < ends_at", name="period"),
        CheckConstraint(
            "price_override_cents IS NULL OR (price_override_cents >= 0 "
            "AND price_override_reason IS NOT NULL)",
            name="price_override",
        ),
        Index("ix_bookings_team_period", "team_id", "starts_at"),
        Index("ix_bookings_starts_at", "starts_at", "id"),
        Index("ix_bookings_status_id", "status", "id"),
        # one visit per plan and date: the horizon job can run twice, or twice at once
        UniqueConstraint("plan_id", "occurrence_date"),
        # a plan visit without a team needs a person (GET /admin/plans/conflicts)
        CheckConstraint("team_id IS NOT NULL OR plan_id IS NOT NULL", name="team_or_plan"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # NULL for staff-made bookings (and plan visits): no quote request behind them.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(ForeignKey("properties.id"), index=True)
    # NULL only for a plan visit in conflict (no team free): it waits for dispatch (§5.10)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    status: Mapped[str] = mapped_column(String(16), server_default="PENDING")
    service_type: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)
    # The /estimate request and the server's estimate the booking was priced from (copied from
    # the lead for public bookings; NULL only on rows written by code older than t0012).
    estimate_request: Mapped[dict | None] = mapped_column(JSONB)
    estimate: Mapped[dict | None] = mapped_column(JSONB)
    estimate_total_cents: Mapped[int] = mapped_column(Integer)
    # Staff's price instead of the estimate (audited; its own invoice line), with the reason.
    price_override_cents: Mapped[int | None] = mapped_column(Integer)
    price_override_reason: Mapped[str | None] = mapped_column(String(500))
    credit_applied_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    total_cents: Mapped[int] = mapped_column(Integer)
    risk_score: Mapped[int] = mapped_column(SmallInteger)
    risk_band: Mapped[str] = mapped_column(String(8))
    risk_reasons: Mapped[list] = mapped_column(JSONB, server_default="[]")
    deposit_required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    deposit_amount_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    deposit_percent: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    deposit_reasons: Mapped[list] = mapped_column(JSONB, server_default="[]")
    deposit_status: Mapped[str | None] = mapped_column(String(16))
    deposit_checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    deposit_checkout_url: Mapped[str | None] = mapped_column(Text)
    deposit_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    deposit_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    downgraded_reason: Mapped[str | None] = mapped_column(String(64))
    refund_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    policy_snapshot: Mapped[dict] = mapped_column(JSONB)
    photo_consent: Mapped[bool] = mapped_column(Boolean, server_default="false")
    notes: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # recurring plans (SPEC §5.10)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    occurrence_date: Mapped[date | None] = mapped_column(Date)
    flags: Mapped[list] = mapped_column(JSONB, server_default="[]")
    conflict_reason: Mapped[str | None] = mapped_column(String(32))
    detached: Mapped[bool] = mapped_column(Boolean, server_default="false")
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingWorker(TenantBase):
    """A booking's crew (1..6 workers); each runs their own timer."""

    __tablename__ = "booking_workers"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# Every booking write moves the tenant's availability version once it commits, wherever it is made
# (services, jobs, CLI): the cached public slot answers depend on it (tenantapp.bookings.slot_cache).
for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(Booking, _event, booking_written)
