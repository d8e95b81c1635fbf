"""What an invoice sends: ``invoice_issued`` (at issue, and again on each ``/send``), the
``payment_receipt`` of a card payment, ``payment_failed`` when the card on file was refused, and
``payment_alert`` to staff (an overpayment refunded, a dispute, auto-charge given up).

Written in the transaction that issues or sends, with a dedupe key naming the cause. The links
carry a token, so they travel sealed (``secrets``) and are opened only when the mail is sent.
"""

from __future__ import annotations

from tenantapp.customers.models import Customer
from tenantapp.invoices import links
from tenantapp.invoices.models import Invoice
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.settings.models import TenantSettings
from tenantapp.sms import service as sms

INVOICE_ISSUED = EmailKind("invoice_issued")
PAYMENT_RECEIPT = EmailKind("payment_receipt")
PAYMENT_FAILED = EmailKind("payment_failed")
PAYMENT_ALERT = EmailKind("payment_alert")
EMAILS = (INVOICE_ISSUED, PAYMENT_RECEIPT, PAYMENT_FAILED, PAYMENT_ALERT)


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def money(cents: int) -> str:
    return _money(cents)


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
        "pay_url": None,
    }
    secrets = {"invoice_url": links.invoice_url(invoice.id), "pdf_url": links.pdf_url(invoice.id)}
    if _payable_online(tx, invoice, amount_due_cents):
        secrets["pay_url"] = links.page_url(invoice.id)
    key = f"invoice_issued:{invoice.id}" + (f":send:{send_number}" if send_number else "")
    enqueue_email(tx, INVOICE_ISSUED, to, context, key, secrets=secrets)
    return True


def _payable_online(tx, invoice: Invoice, amount_due_cents: int) -> bool:
    settings = tx.get(TenantSettings, 1)
    return amount_due_cents > 0 and bool(settings and settings.stripe_account_id)


def _to(tx, invoice: Invoice) -> tuple[str | None, str]:
    customer = tx.get(Customer, invoice.customer_id)
    bill_to = invoice.bill_to or {}
    email = bill_to.get("email") or (customer.email if customer else None)
    return email, bill_to.get("name") or (customer.name if customer else "")


def _invoice_context(invoice: Invoice, amount_due_cents: int) -> dict:
    return {
        "id": str(invoice.id),
        "number": invoice.number,
        "currency": invoice.currency,
        "total": _money(invoice.total_cents),
        "amount_due": _money(amount_due_cents),
    }


def payment_receipt(tx, invoice: Invoice, amount_cents: int, payment_intent: str) -> bool:
    """The receipt of a card payment (online or card on file), once per PaymentIntent."""
    to, name = _to(tx, invoice)
    if not to:
        return False
    due = invoice.total_cents - invoice.credited_cents - invoice.paid_cents + invoice.refunded_cents
    context = {
        "customer_name": name,
        "invoice": _invoice_context(invoice, max(due, 0)),
        "amount": _money(amount_cents),
    }
    enqueue_email(
        tx,
        PAYMENT_RECEIPT,
        to,
        context,
        f"payment_receipt:{payment_intent}",
        secrets={"invoice_url": links.invoice_url(invoice.id)},
    )
    return True


def payment_failed(tx, invoice: Invoice, amount_due_cents: int, reason: str, attempt: int) -> bool:
    """The card on file was refused (declined, or the bank wants the customer to confirm): the
    customer gets the pay link; once per attempt."""
    to, name = _to(tx, invoice)
    if not to:
        return False
    context = {
        "customer_name": name,
        "invoice": _invoice_context(invoice, amount_due_cents),
        "reason": reason,
    }
    enqueue_email(
        tx,
        PAYMENT_FAILED,
        to,
        context,
        f"payment_failed:{invoice.id}:{attempt}",
        secrets={"pay_url": links.page_url(invoice.id)},
    )
    return True


def staff_alert(tx, invoice: Invoice, kind: str, detail: str, dedupe_key: str) -> bool:
    """Tell the company (its contact e-mail) about a payment that needs a person."""
    settings = tx.get(TenantSettings, 1)
    if not settings or not settings.contact_email:
        return False
    customer = tx.get(Customer, invoice.customer_id)
    context = {
        "alert": kind,
        "detail": detail,
        "invoice": {"id": str(invoice.id), "number": invoice.number, "status": invoice.status},
        "customer_name": (invoice.bill_to or {}).get("name") or (customer.name if customer else ""),
    }
    enqueue_email(tx, PAYMENT_ALERT, settings.contact_email, context, f"payment_alert:{dedupe_key}")
    return True
