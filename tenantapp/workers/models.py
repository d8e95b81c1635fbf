"""Workers (cleaners) and their portal sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    String,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase


class Worker(TenantBase):
    """A cleaner who logs into the worker portal; deactivated, never deleted (bookings keep
    pointing at them)."""

    __tablename__ = "workers"
    __table_args__ = (
        CheckConstraint("hourly_rate_cents >= 0", name="hourly_rate"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("pay_type IN ('hourly','flat','percent')", name="pay_type"),
        CheckConstraint("pay_flat_cents >= 0", name="pay_flat"),
        CheckConstraint("pay_percent >= 0 AND pay_percent <= 100", name="pay_percent"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    skills: Mapped[list] = mapped_column(JSONB, server_default="[]")
    hourly_rate_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    # How timesheets pay this worker (SPEC §5.9): hourly × clocked time, a flat amount per done
    # job, or a percentage of each done job's pre-discount labour (shared by clocked minutes).
    pay_type: Mapped[str] = mapped_column(String(16), server_default="hourly")
    pay_flat_cents: Mapped[int] = mapped_column(Integer, server_default="0")
    pay_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invite_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class WorkerSession(TenantBase):
    """One worker login; the token's ``sid``. Checked on every request, so revoking the row (or
    deactivating the worker) ends the session at once."""

    __tablename__ = "worker_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
