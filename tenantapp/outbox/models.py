"""The tenant outbox table: every e-mail and webhook of this tenant (columns: ``shared.outbox``)."""

from __future__ import annotations

from datetime import datetime

from jobs import signals
from shared.db import TenantBase
from shared.outbox.model import OutboxColumns


class OutboxMessage(OutboxColumns, TenantBase):
    """One e-mail or webhook of this tenant, written in the transaction that caused it."""

    __tablename__ = "outbox"
    KINDS = ("email", "webhook", "sms")  # SMS: tenantapp/sms (SPEC §5.12)

    @staticmethod
    def announce_due(sess, due_at: datetime | None) -> None:
        """A row was queued (or put back in line): deliver it seconds after commit."""
        signals.outbox_row_added(sess, due_at)
