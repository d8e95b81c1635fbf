"""Connected-account events (SPEC §5.4): each applied once, in any order, in the tenant schema.

The event id is inserted in the same transaction as its effect, so a redelivery finds it and does
nothing. This module only routes: deposits are ``tenantapp.bookings.deposits``' business, the
connected account's state is ``tenantapp.payments``'; both are called one way, and Stripe calls
run only after the commit. It sits above both features (payments, the gateway, knows no booking).
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from shared import db
from tenantapp.bookings import deposits
from tenantapp.payments.models import ConnectEvent
from tenantapp.payments.service import apply_account_update


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
        etype = event.get("type")
        if etype == "checkout.session.completed":
            outcome = deposits.checkout_completed(tx, obj)
        elif etype == "checkout.session.expired":
            outcome = deposits.checkout_expired(tx, obj)
        elif etype == "charge.refunded":
            outcome = deposits.charge_refunded(tx, obj)
        elif etype == "account.updated":
            outcome = apply_account_update(tx, obj)
        else:
            outcome = "ignored"
    return outcome
