"""Delivery of the current tenant's outbox, and its job (every minute, fanned out per tenant).

The loop itself (claim under a lease, send outside any transaction, record the outcome) is
``shared.outbox.delivery``; the handlers come from ``tenantapp.outbox.registry``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from jobs import queues
from jobs.decorators import tenant_job
from shared import db
from shared.idempotency import purge_expired
from shared.outbox import delivery as outbox_delivery
from shared.outbox.delivery import Message, RunReport
from shared.tenancy import current_tenant
from tenantapp.outbox.models import OutboxMessage
from tenantapp.outbox.registry import handlers


def deliver_due(
    now: datetime | None = None,
    batch: int = 50,
    *,
    after_send: Callable[[Message], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    only_ids: list[int] | None = None,
) -> RunReport:
    """Deliver the current tenant's due outbox rows (call inside ``tenant_context``).

    ``only_ids`` limits the run to those rows (a test delivering one message it just queued).
    """
    return outbox_delivery.deliver_due(
        OutboxMessage,
        handlers(db.session(), sleep=sleep),
        now=now,
        batch=batch,
        tenant_id=current_tenant().id,
        after_send=after_send,
        only_ids=only_ids,
    )


@tenant_job(queue=queues.EMAIL, timeout=300)
def deliver_tenant_outbox(tenant_id) -> dict:
    """Job: one tenant's delivery run, then the purge of its expired Idempotency-Keys."""
    report = deliver_due()
    with db.transaction() as tx:
        purge_expired(tx)
    return report.as_dict()
