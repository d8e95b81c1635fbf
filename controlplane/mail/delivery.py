"""Delivery of the control-plane outbox.

Schedule (wired in ``jobs/schedules.py``): every minute, ``deliver_platform_outbox()`` on the
``email`` queue. Nothing is built at import; the worker makes the runtime current.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from controlplane.mail.models import PlatformOutboxMessage
from controlplane.mail.service import PlatformEmailSender
from shared import db
from shared.outbox import delivery as outbox_delivery
from shared.outbox.delivery import Handler, Message, RunReport


def deliver_due(
    now: datetime | None = None,
    batch: int = 50,
    *,
    after_send: Callable[[Message], None] | None = None,
) -> RunReport:
    """Deliver due platform mail (outside any tenant context)."""
    return outbox_delivery.deliver_due(
        PlatformOutboxMessage,
        {"email": Handler(PlatformEmailSender().send)},
        now=now,
        batch=batch,
        tenant_id=None,
        after_send=after_send,
    )


def deliver_platform_outbox() -> dict:
    """Job: one delivery run of the control-plane outbox."""
    try:
        return deliver_due().as_dict()
    finally:
        db.close_session()
