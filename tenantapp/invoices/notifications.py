"""What an invoice sends: ``invoice_issued`` (at issue, and again on each ``/send``).

Written in the transaction that issues or sends, with a dedupe key naming the cause. The links
carry a token, so they travel sealed (``secrets``) and are opened only when the mail is sent.
"""

from __future__ import annotations

from tenantapp.customers.models import Customer
from tenantapp.invoices import links
from tenantapp.invoices.models import Invoice
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.sms import service as sms

INVOICE_ISSUED = EmailKind("invoice_issued")
EMAILS = (INVOICE_ISSUED,)


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def invoice_issued(tx, invoice: Invoice, amount_due_cents: int, send_number: int = 0) -> bool:
    """Queue the invoice e-mail to the customer (and its text, SPEC §5.12, to customers who take
    texts: the amount due and the invoice page's link, where Pay is); False when they have no
    e-mail address."""
    customer = tx.get(Customer, invoice.customer_id)
    if customer is not None and amount_due_cents > 0:
        sms.queue_sms(
            tx,
            customer,
            "invoice_issued",
            {"invoice_number": invoice.number, "amount": f"${_money(amount_due_cents)}"},
            f"invoice_issued:{invoice.id}" + (f":send:{send_number}" if send_number else ""),
            booking_id=invoice.booking_id,
            secrets={"pay_url": links.invoice_url(invoice.id)},
        )
    to = (invoice.bill_to or {}).get("email") or (customer.email if customer else None)
    if not to:
        return False
    context = {
        "customer_name": (invoice.bill_to or {}).get("name") or customer.name,
        "invoice": {
            "id": str(invoice.id),
            "number": invoice.number,
            "currency": invoice.currency,
            "total": _money(invoice.total_cents),
            "paid": _money(invoice.paid_cents - invoice.refunded_cents),
            "amount_due": _money(amount_due_cents),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        },
        "pay_url": invoice.pay_url,
    }
    secrets = {"invoice_url": links.invoice_url(invoice.id), "pdf_url": links.pdf_url(invoice.id)}
    key = f"invoice_issued:{invoice.id}" + (f":send:{send_number}" if send_number else "")
    enqueue_email(tx, INVOICE_ISSUED, to, context, key, secrets=secrets)
    return True
