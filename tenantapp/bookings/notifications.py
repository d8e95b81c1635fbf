"""What a booking sends: the customer's e-mails for each status change, and staff's resend.

Each function runs inside the transaction of the change that caused it, so a rolled-back change
sends nothing, and each message has a dedupe key naming its cause, so a retry sends it once.
Booking e-mails carry the booking id in their key (``booking_<kind>:<id>...``), which is how the
resend finds the last one. The 24-hour reminder is ``tenantapp.bookings.reminders``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from jobs import signals
from shared import db
from shared.errors import NotFound
from shared.outbox import enqueue
from tenantapp.audit.service import record
from tenantapp.bookings import texts
from tenantapp.bookings.links import manage_url
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.leads.models import Lead
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.outbox.models import OutboxMessage

BOOKING_PENDING = EmailKind("booking_pending")
BOOKING_CONFIRMED = EmailKind("booking_confirmed")
BOOKING_CANCELLED = EmailKind("booking_cancelled")
EMAILS = (BOOKING_PENDING, BOOKING_CONFIRMED, BOOKING_CANCELLED)


def booking_context(sess, booking: Booking) -> tuple[str | None, dict]:
    """The customer's address and what every booking e-mail shows about the booking."""
    customer = sess.get(Customer, booking.customer_id)
    place = sess.get(Property, booking.property_id) if booking.property_id else None
    if place is None and booking.lead_id is not None:
        place = sess.get(Lead, booking.lead_id)
    context = {
        "customer_name": customer.name,
        "booking": {
            "id": str(booking.id),
            "starts_at": booking.starts_at.isoformat(),
            "address": (place.address if place else None) or "the address you gave us",
            "total_cents": booking.total_cents,
            "manage_url": manage_url(booking.id),
        },
    }
    if booking.deposit_status == "pending":
        context["booking"]["deposit_cents"] = booking.deposit_amount_cents
    return customer.email, context


def booking_event(tx, booking: Booking, event: str) -> None:
    """E-mail the customer about a booking: received, confirmed, moved or cancelled."""
    signals.booking_changed(tx, booking)  # its reminder and deposit hold fall due at known times
    if event in ("confirmed", "rescheduled") and booking.status == "CONFIRMED":
        starts = booking.starts_at.isoformat()
        texts.text_booking(
            tx, booking, "booking_confirmed", f"booking_confirmed:{booking.id}:{starts}"
        )
    to, context = booking_context(tx, booking)
    if not to:
        return
    starts = booking.starts_at.isoformat()
    if event == "confirmed":
        key = f"booking_confirmed:{booking.id}:{starts}"
        enqueue_email(tx, BOOKING_CONFIRMED, to, context, key)
    elif event == "created" and booking.status == "PENDING":
        enqueue_email(tx, BOOKING_PENDING, to, context, f"booking_pending:{booking.id}")
    elif event == "rescheduled":
        kind = BOOKING_CONFIRMED if booking.status == "CONFIRMED" else BOOKING_PENDING
        enqueue_email(tx, kind, to, context, f"{kind.template}:{booking.id}:{starts}")
    elif event == "cancelled":
        context["booking"].update(
            reason=booking.cancel_reason or "", refund_cents=booking.refund_cents
        )
        enqueue_email(tx, BOOKING_CANCELLED, to, context, f"booking_cancelled:{booking.id}")


def resend_last_email(booking_id: int) -> OutboxMessage:
    """Queue the booking's most recent e-mail again, to the same recipient (audited).

    Booking e-mails carry their booking id in the dedupe key (``booking_<kind>:<id>...``,
    ``reminder_24h:<id>:...``); the copy gets its own key so it is one new message.
    """
    with db.transaction() as tx:
        if tx.get(Booking, booking_id) is None:
            raise NotFound("No such booking.")
        last = tx.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == "email",
                or_(
                    OutboxMessage.dedupe_key.op("~")(f"^booking_[a-z]+:{booking_id}(:|$)"),
                    OutboxMessage.dedupe_key.like(f"reminder_24h:{booking_id}:%"),
                ),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        if last is None:
            raise NotFound("No e-mail was sent for this booking yet.")
        new_id = enqueue(
            tx,
            OutboxMessage,
            kind="email",
            topic=last.topic,
            recipient=last.recipient,
            payload=last.payload,
            dedupe_key=f"resend:{last.id}:{uuid.uuid4().hex}",
        )
        record(
            tx,
            "booking.resend_email",
            "booking",
            booking_id,
            None,
            {"topic": last.topic, "outbox_id": new_id},
        )
        row = tx.get(OutboxMessage, new_id)
    return row
