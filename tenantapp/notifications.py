"""What the tenant's domain events send: e-mails through the tenant outbox and lead exports.

Each function runs inside the transaction of the change that caused it, so a rolled-back change
sends nothing, and each message has a dedupe key naming its cause, so a retry sends it once.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import select

from jobs import signals
from tenantapp.bookings.links import manage_url
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer
from tenantapp.leads.models import Lead
from tenantapp.messaging.reminders import ReminderDue
from tenantapp.messaging.service import enqueue_email, tenant_site_url
from tenantapp.settings.models import TenantSettings

REMINDER_HORIZON = timedelta(hours=24)


def lead_created(tx, lead: Lead) -> None:
    """Thank the customer, tell the tenant's contact address, and export the lead."""
    from shared.tenancy import current_tenant
    from tenantapp.exports.service import enqueue_lead_export

    estimate_cents = lead.estimate.get("total_before_tax_cents")
    if lead.email:
        enqueue_email(
            tx,
            "lead_received",
            lead.email,
            {"name": lead.name, "estimate_cents": estimate_cents},
            f"lead_received:{lead.id}",
        )
    contact = tx.get(TenantSettings, 1).contact_email
    if contact:
        site = tenant_site_url(current_tenant())
        enqueue_email(
            tx,
            "lead_notification",
            contact,
            {
                "lead": {
                    "name": lead.name,
                    "email": lead.email or "",
                    "phone": lead.phone,
                    "postal_code": lead.postal_code or "",
                    "message": lead.notes or "",
                    "created_at": (lead.created_at or datetime.now().astimezone()).isoformat(),
                    "admin_url": f"{site}/v1/admin/leads/{lead.id}",
                }
            },
            f"lead_notification:{lead.id}",
        )
    enqueue_lead_export(
        tx,
        lead.id,
        {
            "id": lead.id,
            "status": lead.status,
            "name": lead.name,
            "email": lead.email,
            "phone": lead.phone,
            "postal_code": lead.postal_code,
            "address": lead.address,
            "estimate": lead.estimate,
            "utm": lead.utm,
            "referral_code": lead.referral_code,
            "referred_by_code": lead.referred_by_code,
        },
    )


def _booking_context(tx, booking: Booking) -> tuple[str | None, dict]:
    customer = tx.get(Customer, booking.customer_id)
    lead = tx.get(Lead, booking.lead_id)
    context = {
        "customer_name": customer.name,
        "booking": {
            "id": str(booking.id),
            "starts_at": booking.starts_at.isoformat(),
            "address": (lead.address if lead else None) or "the address you gave us",
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
    to, context = _booking_context(tx, booking)
    if not to:
        return
    if event == "confirmed":
        enqueue_email(
            tx,
            "booking_confirmed",
            to,
            context,
            f"booking_confirmed:{booking.id}:{booking.starts_at.isoformat()}",
        )
    elif event == "created" and booking.status == "PENDING":
        enqueue_email(tx, "booking_pending", to, context, f"booking_pending:{booking.id}")
    elif event == "rescheduled":
        template = "booking_confirmed" if booking.status == "CONFIRMED" else "booking_pending"
        enqueue_email(
            tx, template, to, context, f"{template}:{booking.id}:{booking.starts_at.isoformat()}"
        )
    elif event == "cancelled":
        context["booking"].update(
            reason=booking.cancel_reason or "", refund_cents=booking.refund_cents
        )
        enqueue_email(tx, "booking_cancelled", to, context, f"booking_cancelled:{booking.id}")


def due_reminders(now: datetime) -> list[ReminderDue]:
    """CONFIRMED bookings starting within the next 24 hours, one reminder per customer e-mail."""
    from shared import db

    sess = db.session()
    rows = sess.scalars(
        select(Booking)
        .where(
            Booking.status == "CONFIRMED",
            Booking.starts_at > now,
            Booking.starts_at <= now + REMINDER_HORIZON,
        )
        .order_by(Booking.starts_at)
    )
    due = []
    for booking in rows:
        to, context = _booking_context(sess, booking)
        if to:
            due.append(ReminderDue(str(booking.id), to, context))
    return due


def worker_invited(tx, worker, invite_url: str) -> None:
    """Send a worker their invitation link (each invite is its own message)."""
    if worker.email:
        enqueue_email(
            tx,
            "worker_invite",
            worker.email,
            {"worker_name": worker.name, "login_url": invite_url},
            f"worker_invite:{worker.id}:{time.time_ns()}",
        )
