"""What a booking texts (SPEC §5.12): confirmation, the 24-hour reminder, "on my way".

The SMS twin of ``notifications``: each function runs in the transaction of its cause and
queues through ``tenantapp.sms`` (consent, quiet hours, the first-text footer, dedupe key
``sms:<cause>``). A customer who may not be texted simply gets no text; e-mail is unaffected.
"""

from __future__ import annotations

from shared.errors import NotFound
from tenantapp.bookings.crews import crew_of
from tenantapp.bookings.links import manage_url
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer
from tenantapp.leads.models import Lead
from tenantapp.settings.service import tenant_zone
from tenantapp.sms import service as sms
from tenantapp.sms import templates
from tenantapp.workers.models import Worker

LINKS = ("manage_url", "pay_url")  # carry a token: sealed in the outbox, "[link]" on the thread
TEMPLATES = ("booking_confirmed", "booking_reminder_24h", "on_my_way", "invoice_issued")


def sms_context(sess, booking: Booking, *, worker: Worker | None = None, eta=None) -> dict:
    """Every value the booking templates use (an invoice-like view for ``invoice_issued``
    until invoices render their own: the booking's total and its manage link)."""
    lead = sess.get(Lead, booking.lead_id) if booking.lead_id else None  # staff bookings: none
    if worker is None:
        crew = crew_of(sess, booking.id)
        worker = sess.get(Worker, crew[0]) if crew else None
    first_name = (worker.name.split() or ["Your cleaner"])[0] if worker else "Your cleaner"
    return {
        "when": templates.when(booking.starts_at, tenant_zone()),
        "address": (lead.address if lead and lead.address else "your home"),
        "manage_url": manage_url(booking.id),
        "worker_first_name": first_name,
        "eta": f" and should arrive in about {eta} minutes" if eta else "",
        "invoice_number": f"for booking {booking.id}",
        "amount": templates.money(booking.total_cents),
        "pay_url": manage_url(booking.id),
    }


def text_booking(tx, booking: Booking, template: str, cause: str) -> bool:
    """Queue ``template`` about ``booking`` to its customer; False when nothing was queued."""
    customer = tx.get(Customer, booking.customer_id)
    if customer is None:
        return False
    context = sms_context(tx, booking)
    secrets = {key: context.pop(key) for key in LINKS}
    queued = sms.queue_sms(
        tx, customer, template, context, cause, booking_id=booking.id, secrets=secrets
    )
    return queued is not None


def on_my_way(tx, booking: Booking, worker: Worker, eta_minutes: int | None):
    """Text the customer that ``worker`` is coming (once per booking: 409 the second time;
    409 ``opted_out`` when the customer does not take texts). Not automated: the worker is on
    the road now, so quiet hours do not hold it back; metered like a staff reply."""
    customer = tx.get(Customer, booking.customer_id)
    if customer is None:
        raise NotFound("No such job.")
    context = sms_context(tx, booking, worker=worker, eta=eta_minutes)
    return sms.direct_text(
        tx, customer, "on_my_way", context, f"on_my_way:{booking.id}", booking.id
    )
