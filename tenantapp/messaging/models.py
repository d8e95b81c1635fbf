from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase


class EmailSuppression(TenantBase):
    """An address that unsubscribed from this tenant's optional mail (reminders, lead follow-ups)."""

    __tablename__ = "email_suppressions"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    reason: Mapped[str] = mapped_column(String(32), server_default="unsubscribed")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
