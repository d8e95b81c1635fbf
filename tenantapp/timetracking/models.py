"""Time entries: one per booking and worker, with the worked segments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

STATES = ("NOT_STARTED", "RUNNING", "PAUSED", "FINISHED")
OVERRUN_REASONS = (
    "ACCESS_DELAY",
    "EXTRA_DIRT",
    "CLIENT_REQUEST",
    "SUPPLIES_MISSING",
    "ESTIMATE_WRONG",
    "PARKING_DELAY",
    "OTHER",
)


class TimeEntry(TenantBase):
    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("state IN ('NOT_STARTED','RUNNING','PAUSED','FINISHED')", name="state"),
        CheckConstraint(
            "overrun_reason IS NULL OR overrun_reason IN ('ACCESS_DELAY','EXTRA_DIRT',"
            "'CLIENT_REQUEST','SUPPLIES_MISSING','ESTIMATE_WRONG','PARKING_DELAY','OTHER')",
            name="overrun_reason",
        ),
        # A concurrent double start inserts one row (ON CONFLICT DO NOTHING); NULL worker = an
        # entry staff ran before crews existed (t0012), at most one per booking.
        Index(
            "uq_time_entries_booking_worker",
            "booking_id",
            "worker_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), server_default="NOT_STARTED")
    overrun_reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class TimeSegment(TenantBase):
    """A stretch of work; the open one (``ended_at`` NULL) exists only while RUNNING."""

    __tablename__ = "time_segments"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="period"),
        Index("ix_time_segments_entry", "entry_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("time_entries.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    by: Mapped[str | None] = mapped_column(String(64))
