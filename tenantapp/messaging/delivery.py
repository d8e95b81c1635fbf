"""Delivery of the current tenant's outbox, and the job entry points the scheduler calls.

Schedules (wired in ``jobs/schedules.py``):

- every minute, fanned out per active tenant: ``deliver_tenant_outbox(tenant_id)``;
- every 15 minutes per tenant, only when ``EXPORT_AUTO_REPLAY`` is on:
  ``auto_replay_tenant_exports(tenant_id)``;
- every 5 minutes per tenant: ``tenantapp.messaging.reminders.scan_tenant_reminders(tenant_id)``.

Entry points build nothing at import; they use ``current_runtime()`` (the worker makes it current).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from jobs import queues
from jobs.decorators import tenant_job
from shared import db
from shared.idempotency import purge_expired
from shared.outbox import delivery as outbox_delivery
from shared.outbox.delivery import Handler, Message, RunReport
from shared.tenancy import current_tenant
from tenantapp.messaging.models import OutboxMessage


def handlers(sess: Session, sleep: Callable[[float], None] = time.sleep) -> dict[str, Handler]:
    from tenantapp.exports.service import WebhookSender
    from tenantapp.messaging.service import EmailSender

    return {
        # No receiver-side dedupe for e-mail: an interrupted send goes to the dead letters.
        "email": Handler(EmailSender(sess).send),
        # Receivers dedupe on X-Cleanplane-Delivery: an interrupted webhook is retried.
        "webhook": Handler(WebhookSender(sess, sleep=sleep).send, retry_in_doubt=True),
    }


def deliver_due(
    now: datetime | None = None,
    batch: int = 50,
    *,
    after_send: Callable[[Message], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunReport:
    """Deliver the current tenant's due outbox rows (call inside ``tenant_context``)."""
    tenant = current_tenant()
    return outbox_delivery.deliver_due(
        OutboxMessage,
        handlers(db.session(), sleep=sleep),
        now=now,
        batch=batch,
        tenant_id=tenant.id,
        after_send=after_send,
    )


@tenant_job(queue=queues.EMAIL, timeout=300)
def deliver_tenant_outbox(tenant_id) -> dict:
    """Job: one tenant's delivery run, then the purge of its expired Idempotency-Keys."""
    report = deliver_due()
    with db.transaction() as tx:
        purge_expired(tx)
    return report.as_dict()


@tenant_job(queue=queues.EXPORT, timeout=300)
def auto_replay_tenant_exports(tenant_id) -> dict:
    """Job: requeue one tenant's recent dead export webhooks within the auto-replay caps."""
    from tenantapp.exports.service import auto_replay_dead_exports

    return auto_replay_dead_exports()
