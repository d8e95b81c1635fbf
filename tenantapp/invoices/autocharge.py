"""Auto-charge (SPEC §5.11 "Card on file"): an invoice issued for a customer with ``auto_charge``
and a saved card is charged off-session by a job; declined or authentication required → the
invoice stays ISSUED, the customer gets ``payment_failed`` with the pay link, the card is tried
again 3 and 7 days after the first attempt, and after the third refusal staff are told.

Attempts are numbered on the ``invoice_charges`` row (key ``invoice-charge:<id>:<attempt>``). An
attempt is marked in flight before Stripe is called, in its own transaction: a crash or a Stripe
outage leaves it in flight and the rerun (after ``LEASE``) repeats the *same* attempt, so Stripe
answers with the first result and the card is never charged twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import stripe
from sqlalchemy import select

from jobs import signals
from shared import db
from shared.errors import ServiceUnavailable
from tenantapp.audit.service import record
from tenantapp.customers.models import Customer
from tenantapp.invoices import notifications, online, state
from tenantapp.invoices.models import Invoice
from tenantapp.payments import cards, stripe_connect
from tenantapp.payments.models import InvoiceCharge

log = logging.getLogger("cleanplane.payments")

RETRY_AFTER = {1: timedelta(days=3), 2: timedelta(days=7)}  # from the first attempt
MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=15)  # an attempt in flight is repeated after this
BATCH = 50


def schedule(tx, inv: Invoice) -> bool:
    """At issue: queue the first attempt now when the customer pays by card on file."""
    if state.amount_due(inv) <= 0 or inv.status not in state.OPEN:
        return False
    customer = tx.get(Customer, inv.customer_id)
    settings = state.settings_row(tx)
    if customer is None or not customer.auto_charge or not settings.stripe_account_id:
        return False
    if cards.chargeable(tx, inv.customer_id) is None:
        return False
    now = datetime.now(UTC)
    row = InvoiceCharge(invoice_id=inv.id, next_attempt_at=now)
    tx.add(row)
    tx.flush()
    signals.charge_due(tx, now)
    return True


def charges_due(now: datetime) -> list[int]:
    return list(
        db.session().scalars(
            select(InvoiceCharge.id)
            .where(InvoiceCharge.status == "pending", InvoiceCharge.next_attempt_at <= now)
            .order_by(InvoiceCharge.next_attempt_at)
            .limit(BATCH)
        )
    )


def run_due_charges(now: datetime | None = None) -> dict:
    """Job body: make every due attempt of this tenant → counts by outcome."""
    now = now or datetime.now(UTC)
    ids = charges_due(now)
    db.session().rollback()
    outcome: dict[str, int] = {}
    for charge_id in ids:
        result = attempt_charge(charge_id, now)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def attempt_charge(charge_id: int, now: datetime | None = None) -> str:
    """One off-session attempt for one invoice → its outcome."""
    now = now or datetime.now(UTC)
    with db.transaction() as tx:
        charge = tx.get(InvoiceCharge, charge_id, with_for_update=True, populate_existing=True)
        if charge is None or charge.status != "pending" or charge.next_attempt_at is None:
            return "skipped"
        if charge.next_attempt_at > now:
            return "not_due"
        inv = state.locked(tx, charge.invoice_id)
        due = state.amount_due(inv) if inv.status in state.OPEN else 0
        customer = tx.get(Customer, inv.customer_id)
        card = cards.chargeable(tx, inv.customer_id)
        settings = state.settings_row(tx)
        if due <= 0:
            charge.status, charge.next_attempt_at = "cancelled", None
            return "nothing_due"
        if card is None or not customer.auto_charge or not settings.stripe_account_id:
            charge.status, charge.next_attempt_at = "cancelled", None
            charge.last_error = "no_card"
            record(tx, "invoice.auto_charge_cancelled", "invoice", inv.id, None, {"why": "no_card"})
            return "no_card"
        if not charge.in_flight:
            charge.attempt += 1
            charge.in_flight = True
        charge.next_attempt_at = now + LEASE
        params = {
            "account": settings.stripe_account_id,
            "stripe_customer": card.stripe_customer_id,
            "payment_method": card.payment_method_id,
            "invoice_id": inv.id,
            "attempt": charge.attempt,
            "amount_cents": due,
            "currency": inv.currency,
            "description": f"Invoice {inv.number} from {settings.company_name}",
        }
    try:
        result = stripe_connect.charge_off_session(**params)
    except ServiceUnavailable:
        log.warning("auto-charge: Stripe unavailable; the attempt is repeated later")
        return "stripe_unavailable"
    with db.transaction() as tx:
        charge = tx.get(InvoiceCharge, charge_id, with_for_update=True, populate_existing=True)
        inv = state.locked(tx, charge.invoice_id)
        charge.in_flight = False
        if isinstance(result, stripe.CardError):
            return _refused(tx, charge, inv, result)
        charge.payment_intent = result.id
        if result.status != "succeeded":  # processing: payment_intent.succeeded records it
            charge.next_attempt_at, charge.last_error = None, "processing"
            return "processing"
        charge.status, charge.next_attempt_at, charge.last_error = "succeeded", None, None
        online.record_card_payment(
            tx,
            inv,
            result.id,
            int(result.amount_received or result.amount),
            "auto_charge",
            getattr(result, "latest_charge", None),
        )
    return "charged"


def _refused(tx, charge: InvoiceCharge, inv: Invoice, error: stripe.CardError) -> str:
    code = "authentication_required" if error.code == "authentication_required" else "declined"
    detail = getattr(error, "error", None)
    intent = getattr(detail, "payment_intent", None) if detail is not None else None
    charge.payment_intent = getattr(intent, "id", None) or charge.payment_intent
    charge.last_error = code
    attempt = charge.attempt
    retry = RETRY_AFTER.get(attempt)
    if retry is not None and attempt < MAX_ATTEMPTS:
        charge.next_attempt_at = charge.created_at + retry
        signals.charge_due(tx, charge.next_attempt_at)
    else:
        charge.status, charge.next_attempt_at = "failed", None
    due = state.amount_due(inv)
    record(
        tx,
        "invoice.auto_charge_failed",
        "invoice",
        inv.id,
        None,
        {"attempt": attempt, "reason": code, "next_attempt_at": charge.next_attempt_at},
    )
    notifications.payment_failed(tx, inv, due, code, attempt)
    if charge.status == "failed":
        notifications.staff_alert(
            tx,
            inv,
            "auto_charge_failed",
            f"The card on file was refused {attempt} times ({code.replace('_', ' ')}); the "
            f"customer was sent the pay link each time. {notifications.money(due)} is still due: "
            "call them, or record a payment when it comes.",
            f"auto_charge_failed:{inv.id}",
        )
    return code


def charge_status(invoice_id: int) -> dict | None:
    """What staff see of an invoice's auto-charge: status, attempts, next try, last refusal."""
    row = db.session().scalar(select(InvoiceCharge).where(InvoiceCharge.invoice_id == invoice_id))
    if row is None:
        return None
    return {
        "status": row.status,
        "attempts": row.attempt,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
    }
