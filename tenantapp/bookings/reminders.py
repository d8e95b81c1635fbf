"""24-hour booking reminders: both halves of the rule — which bookings are due, and the sending.

Due: CONFIRMED bookings starting within the next 24 hours, one reminder per customer e-mail.
Once per booking and recipient, ever: a unique outbox dedupe key,
``reminder_24h:<booking id>:<recipient, lower-cased>``. Every scan may see the same booking again
(every 5 minutes, overlapping windows, a retried job, a second scheduler, a rescheduled booking)
and the insert simply finds the key taken. Outbox rows carrying these keys are never purged,
which is what makes "ever" hold. The scan job is ``tenantapp.bookings.jobs.scan_tenant_reminders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shared import db
from tenantapp.bookings import texts
from tenantapp.bookings.models import Booking
from tenantapp.bookings.notifications import booking_context
from tenantapp.messaging.service import EmailKind, enqueue_email, is_suppressed

REMINDER_HORIZON = timedelta(hours=24)
BOOKING_REMINDER_24H = EmailKind("booking_reminder_24h", optional=True)
EMAILS = (BOOKING_REMINDER_24H,)
TEMPLATE = BOOKING_REMINDER_24H.template


@dataclass(frozen=True)
class ReminderDue:
    booking_id: str
    recipient: str
    context: dict = field(default_factory=dict)  # customer_name, booking {...}


def reminder_key(booking_id, recipient: str) -> str:
    """The dedupe key that makes a reminder once per booking and recipient, ever."""
    return f"reminder_24h:{booking_id}:{recipient.strip().lower()}"


def _due_bookings(sess, now: datetime) -> list[Booking]:
    return list(
        sess.scalars(
            select(Booking)
            .where(
                Booking.status == "CONFIRMED",
                Booking.starts_at > now,
                Booking.starts_at <= now + REMINDER_HORIZON,
            )
            .order_by(Booking.starts_at)
        )
    )


def reminders_due(now: datetime) -> list[ReminderDue]:
    """CONFIRMED bookings starting within the next 24 hours, one reminder per customer e-mail."""
    sess = db.session()
    rows = _due_bookings(sess, now)
    due = []
    for booking in rows:
        to, context = booking_context(sess, booking)
        if to:
            due.append(ReminderDue(str(booking.id), to, context))
    return due


def scan_reminders(now: datetime | None = None) -> dict:
    """Queue the due reminders of the current tenant → ``{queued, skipped}``.

    Skipped: already reminded (the dedupe key exists) or the recipient unsubscribed.
    """
    now = now or datetime.now(UTC)
    queued = skipped = 0
    with db.transaction() as tx:
        for booking in _due_bookings(tx, now):
            # The text twin (SPEC §5.12): once per booking, to customers who take texts.
            texts.text_booking(tx, booking, "booking_reminder_24h", f"reminder_24h:{booking.id}")
        for item in reminders_due(now):
            if is_suppressed(tx, item.recipient):
                skipped += 1
                continue
            created = enqueue_email(
                tx,
                BOOKING_REMINDER_24H,
                item.recipient,
                item.context,
                reminder_key(item.booking_id, item.recipient),
            )
            if created is None:
                skipped += 1
            else:
                queued += 1
    return {"queued": queued, "skipped": skipped}
