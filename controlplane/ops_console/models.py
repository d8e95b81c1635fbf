"""The console's tables: hourly snapshots and their points (series, hour, label), and its audit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import CPBase


class OpsSnapshot(CPBase):
    """An hour the snapshot job has recorded (the console shows the last one and any gaps)."""

    __tablename__ = "ops_snapshots"

    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    duration_ms: Mapped[int] = mapped_column(Integer, server_default="0")


class OpsPoint(CPBase):
    """One value of a series in one hour, per label (a status, a plan, a kind; ``""`` if none).

    Gauges (tenants by status, MRR, outbox and DLQ depth) hold the state when the hour's snapshot
    was taken; counts (signups, API requests) hold what happened during the hour."""

    __tablename__ = "ops_series"
    __table_args__ = (Index("ix_ops_series_hour", "hour"),)

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    label: Mapped[str] = mapped_column(String(64), primary_key=True, server_default="")
    value: Mapped[int] = mapped_column(BigInteger)


class OpsAuditEntry(CPBase):
    """A state change made from the operator console: who, what, which tenant, details."""

    __tablename__ = "ops_audit"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    operator: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    detail: Mapped[dict | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))
