"""Connected-account events (SPEC §5.4, §5.11): each applied once, in any order, in the tenant
schema.

The event id is inserted in the same transaction as its effect, so a redelivery finds it and does
nothing. This module only routes: deposits are ``tenantapp.bookings.deposits``' business, invoice
payments ``tenantapp.invoices.online``/``stripe_events``', the card on file and the connected
account ``tenantapp.payments``'; all are called one way, and Stripe calls run only after the
commit. An event about a payment not recorded yet (a refund before its payment) raises
``NotYetRecorded``: nothing is stored, the webhook answers 503 and Stripe delivers it again.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from shared import db
from tenantapp.bookings import deposits
from tenantapp.invoices import online, stripe_events
from tenantapp.payments import cards
from tenantapp.payments.models import ConnectEvent
from tenantapp.payments.service import apply_account_update


def _checkout_completed(tx, obj: dict) -> str:
    if obj.get("mode") == "setup":
        return cards.setup_completed(tx, obj)
    if online.invoice_id_of(obj) is not None:
        return online.checkout_completed(tx, obj)
    outcome = deposits.checkout_completed(tx, obj)
    if outcome == "paid" and obj.get("customer"):
        stripe_events.deposit_customer(tx, obj)
    return outcome


def _checkout_expired(tx, obj: dict) -> str:
    if online.invoice_id_of(obj) is not None:
        return online.checkout_expired(tx, obj)
    if obj.get("mode") == "setup":
        return "ignored"
    return deposits.checkout_expired(tx, obj)


def _charge_refunded(tx, obj: dict) -> str:
    outcome = stripe_events.charge_refunded(tx, obj)
    deposit = deposits.charge_refunded(tx, obj)
    if outcome == "unknown_payment":
        if deposit == "unknown_booking" and online.invoice_id_of(obj) is not None:
            raise online.NotYetRecorded("The payment of this refund is not recorded yet.")
        return deposit
    return outcome


HANDLERS = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.expired": _checkout_expired,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": lambda tx, obj: stripe_events.dispute_created(tx, obj),
    "payment_intent.succeeded": lambda tx, obj: stripe_events.intent_succeeded(tx, obj),
    "payment_method.attached": cards.payment_method_attached,
    "account.updated": apply_account_update,
}


def handle_connect_event(event: dict) -> str:
    """Apply one connected-account event for the tenant in context → its outcome."""
    with db.transaction() as tx:
        fresh = tx.execute(
            insert(ConnectEvent)
            .values(id=event["id"], type=event.get("type", ""))
            .on_conflict_do_nothing()
            .returning(ConnectEvent.id)
        ).first()
        if fresh is None:
            return "duplicate"
        obj = (event.get("data") or {}).get("object") or {}
        handler = HANDLERS.get(event.get("type"))
        outcome = handler(tx, obj) if handler else "ignored"
    return outcome
