"""The tenant outbox table: every e-mail and webhook of this tenant (columns: ``shared.outbox``)."""

from __future__ import annotations

from shared.db import TenantBase
from shared.outbox.model import OutboxColumns


class OutboxMessage(OutboxColumns, TenantBase):
    """One e-mail or webhook of this tenant, written in the transaction that caused it."""

    __tablename__ = "outbox"
