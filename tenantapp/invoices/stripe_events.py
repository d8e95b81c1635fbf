"""Connected-account events about invoice money (routed by ``tenantapp.connect_events``):
refunds made at Stripe, disputes, an off-session charge confirmed, the deposit's Stripe Customer.

Each runs in the transaction that stores the event id, under the invoice's row lock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.invoices import money, notifications, online, state
from tenantapp.invoices.models import Invoice, InvoicePayment, InvoiceRefund
from tenantapp.payments import cards
from tenantapp.payments.models import Overpayment


def _payment_of(tx, intent: str | None) -> InvoicePayment | None:
    if not intent:
        return None
    return tx.scalar(
        select(InvoicePayment)
        .where(InvoicePayment.stripe_payment_intent == intent)
        .with_for_update()
    )


def charge_refunded(tx, obj: dict) -> str:
    """A charge was refunded at Stripe. Refunds we made are recorded already (their amount is
    known); the rest (made in the Stripe dashboard) are recorded now, with their credit note."""
    intent = obj.get("payment_intent")
    payment = _payment_of(tx, intent)
    over = (
        tx.scalar(select(Overpayment).where(Overpayment.payment_intent == intent))
        if intent
        else None
    )
    if payment is None:
        return "overpayment_refunded" if over is not None else "unknown_payment"
    inv = state.locked(tx, payment.invoice_id)
    tx.refresh(payment)
    known = payment.refunded_cents + (over.amount_cents if over is not None else 0)
    new = int(obj.get("amount_refunded") or 0) - known
    new = min(new, payment.amount_cents - payment.refunded_cents)
    if new <= 0:
        return "already_recorded"
    recorded = set(
        tx.scalars(
            select(InvoiceRefund.stripe_refund_id).where(InvoiceRefund.payment_id == payment.id)
        )
    )
    if over is not None and over.stripe_refund_id:
        recorded.add(over.stripe_refund_id)
    refunds = ((obj.get("refunds") or {}).get("data")) or []
    fresh = [r.get("id") for r in refunds if r.get("id") and r.get("id") not in recorded]
    money.refund_locked(
        tx, inv, [(payment, new, fresh[0] if fresh else None)], "Refunded in Stripe"
    )
    return "refund_recorded"


def dispute_created(tx, obj: dict) -> str:
    """The customer disputed a card payment at their bank: the invoice is flagged and staff are
    alerted (the answer to the dispute is given in Stripe)."""
    payment = _payment_of(tx, obj.get("payment_intent"))
    if payment is None:
        booking = (
            tx.scalar(
                select(Booking).where(
                    Booking.deposit_payment_intent_id == obj.get("payment_intent")
                )
            )
            if obj.get("payment_intent")
            else None
        )
        if booking is not None:
            record(tx, "deposit.disputed", "booking", booking.id, None, {"dispute": obj.get("id")})
            return "deposit_disputed"
        if online.invoice_id_of(obj) is not None:
            raise online.NotYetRecorded("The disputed payment is not recorded yet.")
        return "unknown_payment"
    inv = state.locked(tx, payment.invoice_id)
    if inv.dispute_id == obj.get("id"):
        return "duplicate"
    inv.disputed_at, inv.dispute_id = datetime.now(UTC), obj.get("id")
    amount = int(obj.get("amount") or payment.amount_cents)
    record(
        tx,
        "invoice.dispute",
        "invoice",
        inv.id,
        None,
        {"dispute": obj.get("id"), "amount_cents": amount, "reason": obj.get("reason")},
    )
    notifications.staff_alert(
        tx,
        inv,
        "dispute",
        f"The customer disputed a card payment of {notifications.money(amount)} with their bank "
        f"(reason: {obj.get('reason') or 'not given'}). Answer it in your Stripe dashboard "
        "before its deadline.",
        f"dispute:{obj.get('id')}",
    )
    return "disputed"


def dispute_closed(tx, obj: dict) -> str:
    """A dispute was decided. Won → the flag is cleared. Lost → the bank has given the disputed
    money back to the customer: it is recorded as a chargeback on the disputed payment (a refund
    with no credit note), so the invoice owes it again, and staff are told to ask for it or
    credit it. A replay records nothing twice."""
    inv = tx.scalar(select(Invoice).where(Invoice.dispute_id == obj.get("id")).with_for_update())
    if inv is None:
        payment = _payment_of(tx, obj.get("payment_intent"))
        if payment is not None:
            raise online.NotYetRecorded("The dispute's opening is not recorded yet.")
        return "unknown_dispute"
    status = obj.get("status")
    record(tx, "invoice.dispute_closed", "invoice", inv.id, None, {"status": status})
    if status == "won":
        inv.disputed_at = None
        return "dispute_won"
    if status != "lost":
        return "ignored"
    payment = _payment_of(tx, obj.get("payment_intent"))
    taken = int(obj.get("amount") or (payment.amount_cents if payment else 0))
    row = (
        money.chargeback_locked(tx, inv, payment, taken, obj["id"])
        if payment is not None and payment.invoice_id == inv.id
        else None
    )
    if row is not None:
        text = (
            f"The bank decided the dispute for the customer and took back "
            f"{notifications.money(row.amount_cents)}. Invoice {inv.number} owes it again "
            f"({notifications.money(state.amount_due(inv))} due): ask the customer to pay, or "
            "write it off with a credit note."
        )
    else:
        text = (
            f"The bank decided the dispute for the customer and took back "
            f"{notifications.money(taken)}. The invoice still shows it paid: credit it, or ask "
            "the customer to pay another way and record it."
        )
    notifications.staff_alert(tx, inv, "dispute_lost", text, f"dispute_lost:{obj.get('id')}")
    return "dispute_lost"


def intent_succeeded(tx, obj: dict) -> str:
    """An off-session charge succeeded (the job records it too; whichever comes first wins)."""
    if (obj.get("metadata") or {}).get("purpose") != "auto_charge":
        return "ignored"
    invoice_id = online.invoice_id_of(obj)
    inv = tx.get(Invoice, invoice_id, with_for_update=True) if invoice_id else None
    if inv is None:
        return "unknown_invoice"
    amount = int(obj.get("amount_received") or obj.get("amount") or 0)
    if amount <= 0:
        return "ignored"
    return online.record_card_payment(tx, inv, obj["id"], amount, "auto_charge")


def deposit_customer(tx, obj: dict) -> None:
    """The deposit Checkout made (or used) the customer's Stripe Customer: remember it, so the
    card saved with the deposit can pay later invoices."""
    booking_id = (obj.get("metadata") or {}).get("booking_id")
    booking = tx.get(Booking, int(booking_id)) if booking_id and str(booking_id).isdigit() else None
    if booking is not None and booking.customer_id is not None:
        cards.remember_customer(tx, booking.customer_id, obj["customer"])
