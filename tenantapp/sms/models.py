"""SMS rows of a tenant: the message thread and the per-number consent (SPEC §5.12)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase

DIRECTIONS = ("in", "out")
# out: queued → sent → delivered | undelivered | failed; or dropped (opted out before it went),
# skipped (limit_reached, no consent at send time). in: received.
STATUSES = (
    "queued",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "dropped",
    "skipped",
    "received",
)


def _quoted(values) -> str:
    return ",".join(f"'{v}'" for v in values)


class SmsMessage(TenantBase):
    """One text on a customer's thread, either way. Outbound ones point at their outbox row."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        CheckConstraint(f"direction IN ({_quoted(DIRECTIONS)})", name="direction"),
        CheckConstraint(f"status IN ({_quoted(STATUSES)})", name="status"),
        Index("ix_sms_messages_customer_id_id", "customer_id", "id"),
        Index("ix_sms_messages_phone", "phone"),
        Index(
            "ix_sms_messages_unread",
            "customer_id",
            postgresql_where=text("direction = 'in' AND read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    direction: Mapped[str] = mapped_column(String(3))
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(120))
    segments: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column()
    booking_id: Mapped[int | None] = mapped_column(BigInteger)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SmsConsent(TenantBase):
    """A number's own word on texts from this tenant: STOP (opted out) or START/UNSTOP.

    Customers carry the opt-in they gave (booking form, staff); this row is what the number
    itself said last, and it wins: a STOP holds until the number sends START.
    """

    __tablename__ = "sms_consents"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opted_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
