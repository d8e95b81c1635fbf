from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from jobs import signals
from shared.db import TenantBase
from shared.outbox.model import OutboxColumns


class OutboxMessage(OutboxColumns, TenantBase):
    """One e-mail or webhook of this tenant, written in the transaction that caused it."""

    __tablename__ = "outbox"

    @staticmethod
    def announce_due(sess, due_at: datetime | None) -> None:
        """A row was queued (or put back in line): deliver it seconds after commit."""
        signals.outbox_row_added(sess, due_at)


class EmailSuppression(TenantBase):
    """An address that unsubscribed from this tenant's optional mail (reminders, lead follow-ups)."""

    __tablename__ = "email_suppressions"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    reason: Mapped[str] = mapped_column(String(32), server_default="unsubscribed")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
