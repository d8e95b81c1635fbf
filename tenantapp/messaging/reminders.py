"""24-hour booking reminders: once per booking and recipient, ever.

The rule is a unique outbox dedupe key, ``reminder_24h:<booking id>:<recipient, lower-cased>``:
every scan may see the same booking again (every 5 minutes, overlapping windows, a retried job,
a second scheduler, a rescheduled booking) and the insert simply finds the key taken. Outbox rows
carrying these keys are never purged, which is what makes "ever" hold.

``reminders_due(now)`` asks ``tenantapp.notifications.due_reminders``: the confirmed bookings
starting within the next 24 hours, one entry per customer e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from jobs import queues
from jobs.decorators import tenant_job
from shared import db
from tenantapp.messaging.service import enqueue_email, is_suppressed

TEMPLATE = "booking_reminder_24h"


@dataclass(frozen=True)
class ReminderDue:
    booking_id: str
    recipient: str
    context: dict = field(default_factory=dict)  # customer_name, booking {...}


def reminder_key(booking_id, recipient: str) -> str:
    return f"reminder_24h:{booking_id}:{recipient.strip().lower()}"


def reminders_due(now: datetime) -> list[ReminderDue]:
    """Bookings due a 24-hour reminder at ``now`` (empty until bookings register a source)."""
    from tenantapp import notifications

    return notifications.due_reminders(now)


def scan_reminders(now: datetime | None = None) -> dict:
    """Queue the due reminders of the current tenant → ``{queued, skipped}``.

    Skipped: already reminded (the dedupe key exists) or the recipient unsubscribed.
    """
    now = now or datetime.now(UTC)
    queued = skipped = 0
    with db.transaction() as tx:
        for item in reminders_due(now):
            if is_suppressed(tx, item.recipient):
                skipped += 1
                continue
            created = enqueue_email(
                tx,
                TEMPLATE,
                item.recipient,
                item.context,
                reminder_key(item.booking_id, item.recipient),
            )
            if created is None:
                skipped += 1
            else:
                queued += 1
    return {"queued": queued, "skipped": skipped}


@tenant_job(queue=queues.EMAIL, timeout=300)
def scan_tenant_reminders(tenant_id) -> dict:
    """Job: the reminder scan of one tenant."""
    return scan_reminders()
