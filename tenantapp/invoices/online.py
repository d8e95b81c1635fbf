"""Paying an invoice online (SPEC §5.11 "Paying online"): the Checkout Session behind Pay, and
what a card payment that reaches the Connect webhook does to the invoice.

Stripe calls never run inside a transaction: the state is read (and the attempt numbered) in one,
Stripe is called, and the result is written in another. Two customers clicking Pay at once
compute the same idempotency key, so Stripe gives both the same session.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared import db
from shared.aftercommit import on_commit
from shared.errors import Conflict, ServiceUnavailable
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.invoices import links, notifications, state
from tenantapp.invoices.models import Invoice, InvoicePayment
from tenantapp.payments import cards, stripe_connect
from tenantapp.payments.models import InvoiceCharge, InvoiceCheckout, Overpayment

log = logging.getLogger("cleanplane.payments")

# An open session closer than this to its expiry is replaced, so the customer has time to pay.
REUSE_MARGIN = timedelta(minutes=30)


class NotYetRecorded(ServiceUnavailable):
    """An event about a payment this tenant has not recorded yet (events arrive in any order):
    nothing is stored, the webhook answers 503 and Stripe delivers it again later."""

    code = "payment_not_recorded_yet"


def payable(inv: Invoice, settings) -> bool:
    """Can this invoice be paid online now (something due and a connected Stripe account)?"""
    return (
        inv.status in state.OPEN
        and state.amount_due(inv) > 0
        and bool(settings and settings.stripe_account_id)
    )


def pay_url(inv: Invoice, settings) -> str | None:
    """The customer's invoice page (where Pay is) while the invoice can be paid online."""
    return links.page_url(inv.id) if payable(inv, settings) else None


def checkout_url(invoice_id: int) -> str:
    """The Checkout Session for what is due now: an open one for the same amount again, else a
    new one (the next attempt; older open ones are expired at Stripe after the commit)."""
    now = datetime.now(UTC)
    with db.transaction() as tx:
        inv = state.get_invoice(invoice_id)
        settings = state.settings_row(tx)
        if not payable(inv, settings):
            if inv.status in state.OPEN and state.amount_due(inv) > 0:
                raise Conflict("This company does not take card payments online yet.")
            raise Conflict(f"This invoice has nothing to pay ({inv.status}).", code="conflict")
        due = state.amount_due(inv)
        latest = tx.scalar(
            select(InvoiceCheckout)
            .where(InvoiceCheckout.invoice_id == inv.id)
            .order_by(InvoiceCheckout.attempt.desc())
            .limit(1)
        )
        if (
            latest is not None
            and latest.status == "open"
            and latest.amount_cents == due
            and latest.expires_at > now + REUSE_MARGIN
        ):
            return latest.url
        attempt = (latest.attempt + 1) if latest is not None else 1
        card = cards.card_of(tx, inv.customer_id)
        params = {
            "account": settings.stripe_account_id,
            "invoice_id": inv.id,
            "tenant_id": str(current_tenant().id),
            "amount_cents": due,
            "currency": inv.currency,
            "description": f"Invoice {inv.number} from {settings.company_name}",
            "return_url": links.page_url(inv.id),
            "attempt": attempt,
            "stripe_customer": card.stripe_customer_id if card else None,
        }
    session = stripe_connect.create_invoice_session(**params)  # 503 when Stripe is down
    expires = datetime.fromtimestamp(int(session.expires_at), UTC)
    with db.transaction() as tx:
        tx.execute(
            insert(InvoiceCheckout)
            .values(
                invoice_id=invoice_id,
                attempt=attempt,
                amount_cents=due,
                session_id=session.id,
                url=session.url,
                expires_at=expires,
            )
            .on_conflict_do_nothing()
        )
        stale = list(
            tx.scalars(
                select(InvoiceCheckout.session_id).where(
                    InvoiceCheckout.invoice_id == invoice_id,
                    InvoiceCheckout.attempt < attempt,
                    InvoiceCheckout.status == "open",
                )
            )
        )
        if stale:
            tx.execute(
                update(InvoiceCheckout)
                .where(InvoiceCheckout.session_id.in_(stale))
                .values(status="expired")
            )
            account = params["account"]
            on_commit(lambda: _expire_quietly(account, stale), tx)
    return session.url


def _expire_quietly(account: str, session_ids: list[str]) -> None:
    """Close replaced sessions at Stripe; one left open expires on its own (and a payment
    through it is still recorded, any excess refunded)."""
    for session_id in session_ids:
        try:
            stripe_connect.expire_session(account, session_id)
        except ServiceUnavailable:
            log.warning("a replaced invoice checkout could not be expired")


# ------------------------------------------------------------------ webhook actions
def invoice_id_of(obj: dict) -> int | None:
    raw = (obj.get("metadata") or {}).get("invoice_id")
    return int(raw) if raw is not None and str(raw).isdigit() else None


def checkout_completed(tx, obj: dict) -> str:
    """Checkout for an invoice was paid: record the payment once (by PaymentIntent)."""
    invoice_id = invoice_id_of(obj)
    inv = tx.get(Invoice, invoice_id, with_for_update=True) if invoice_id else None
    if inv is None:
        return "unknown_invoice"
    intent = obj.get("payment_intent")
    amount = int(obj.get("amount_total") or 0)
    tx.execute(
        update(InvoiceCheckout)
        .where(InvoiceCheckout.session_id == obj.get("id"))
        .values(status="completed", payment_intent=intent)
    )
    if not intent or amount <= 0:
        return "ignored"
    if obj.get("customer"):
        cards.remember_customer(tx, inv.customer_id, obj["customer"])
    return record_card_payment(tx, inv, intent, amount, "online")


def checkout_expired(tx, obj: dict) -> str:
    """An invoice's Checkout Session expired unpaid: the next Pay opens the next attempt."""
    done = tx.execute(
        update(InvoiceCheckout)
        .where(InvoiceCheckout.session_id == obj.get("id"), InvoiceCheckout.status == "open")
        .values(status="expired")
    )
    return "expired" if done.rowcount else "ignored"


def record_card_payment(
    tx, inv: Invoice, intent: str, amount: int, source: str, charge_id: str | None = None
) -> str:
    """A card payment of ``amount`` for ``inv`` (locked): applied up to what is due; any excess
    (the invoice was paid another way meanwhile) is refunded through Stripe after the commit
    and staff are alerted. Once per PaymentIntent, whatever the replay."""
    known = tx.scalar(
        select(InvoicePayment.id).where(InvoicePayment.stripe_payment_intent == intent)
    ) or tx.scalar(select(Overpayment.id).where(Overpayment.payment_intent == intent))
    if known is not None:
        return "duplicate"
    due = state.amount_due(inv) if inv.status in state.OPEN else 0
    applied = max(min(amount, due), 0)
    excess = amount - applied
    before = state.summary(inv)
    if applied:
        payment = InvoicePayment(
            invoice_id=inv.id,
            amount_cents=applied,
            method="card",
            source=source,
            received_on=state.today(),
            reference="Paid online" if source == "online" else "Card on file",
            stripe_payment_intent=intent,
            stripe_charge_id=charge_id,
        )
        tx.add(payment)
        inv.paid_cents += applied
        state.settle(inv)
        tx.flush()
        record(
            tx,
            "invoice.payment",
            "invoice",
            inv.id,
            before,
            {**state.summary(inv), "payment_id": payment.id, "method": "card", "source": source},
        )
        notifications.payment_receipt(tx, inv, applied, intent)
    if inv.status not in state.OPEN:
        tx.execute(
            update(InvoiceCharge)
            .where(InvoiceCharge.invoice_id == inv.id, InvoiceCharge.status == "pending")
            .values(status="cancelled", next_attempt_at=None)
        )
    if not excess:
        return "paid"
    row = Overpayment(invoice_id=inv.id, payment_intent=intent, amount_cents=excess)
    tx.add(row)
    tx.flush()
    record(
        tx,
        "invoice.overpayment",
        "invoice",
        inv.id,
        None,
        {"payment_intent": intent, "refund_cents": excess, "status": inv.status},
    )
    notifications.staff_alert(
        tx,
        inv,
        "overpayment",
        f"A card payment of {notifications.money(amount)} arrived after the invoice was "
        f"paid another way; {notifications.money(excess)} is being refunded to the card "
        "automatically.",
        f"overpayment:{intent}",
    )
    account = state.settings_row(tx).stripe_account_id
    row_id = row.id
    on_commit(lambda: refund_overpayment(account, row_id, intent, excess), tx)
    return "refund_excess" if applied else "refund_after_paid"


def refund_overpayment(account: str, row_id: int, intent: str, amount: int) -> bool:
    """Send the excess back (key ``overpayment:<PaymentIntent>``: a retry refunds once)."""
    try:
        refund = stripe_connect.refund_payment(
            account, intent, amount, f"overpayment:{intent}", {"reason": "overpayment"}
        )
    except ServiceUnavailable:
        log.warning("overpayment refund failed; staff were alerted", extra={"row": row_id})
        return False
    with db.transaction() as tx:
        tx.execute(
            update(Overpayment).where(Overpayment.id == row_id).values(stripe_refund_id=refund.id)
        )
    return True
