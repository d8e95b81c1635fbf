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
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

LEAD_STATUSES = ("NEW", "CONTACTED", "BOOKED", "DONE", "CANCELLED")


class Lead(TenantBase):
    """A quote request with the estimate the server computed (never the client's numbers)."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint("status IN ('NEW','CONTACTED','BOOKED','DONE','CANCELLED')", name="status"),
        Index("ix_leads_created", "created_at", "id"),
        Index("ix_leads_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(ForeignKey("properties.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), server_default="NEW")
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(500))
    preferred_dates: Mapped[list] = mapped_column(JSONB, server_default="[]")
    access_notes: Mapped[str | None] = mapped_column(String(500))
    parking: Mapped[str | None] = mapped_column(String(500))
    pets: Mapped[str | None] = mapped_column(String(500))
    allergies: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(String(500))
    estimate_request: Mapped[dict] = mapped_column(JSONB)
    estimate: Mapped[dict] = mapped_column(JSONB)
    pricing_config_id: Mapped[int] = mapped_column(BigInteger)
    pricing_config_version: Mapped[int] = mapped_column(Integer)
    config_hash: Mapped[str] = mapped_column(String(80))
    utm: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    referrer: Mapped[str | None] = mapped_column(Text)
    referral_code: Mapped[str] = mapped_column(String(8), unique=True)
    referred_by_code: Mapped[str | None] = mapped_column(String(8))
    # SHA-256 (hex) of the lead token handed to the public caller (tenantapp/leads/proof.py);
    # NULL for leads made before tokens existed: those cannot be booked publicly.
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # "Text me about my booking" on the booking page (SPEC §5.3, source booking_form).
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
