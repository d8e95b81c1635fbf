"""Connected-account events (SPEC §5.4): each applied once, in any order, in the tenant schema.

The event id is inserted in the same transaction as its effect, so a redelivery finds it and does
nothing. Booking deposits are the domain's business: this module parses the event and calls the
``tenantapp.bookings.deposits`` action (one way); Stripe calls run only after the commit.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from shared import db
from tenantapp.audit.service import record
from tenantapp.bookings import deposits
from tenantapp.payments.models import ConnectEvent
from tenantapp.settings.models import TenantSettings


def _account(tx, obj: dict) -> str:
    settings = tx.get(TenantSettings, 1, with_for_update=True)
    ready = bool(obj.get("charges_enabled")) and bool(obj.get("payouts_enabled"))
    if settings.payouts_ready != ready:
        record(
            tx,
            "payments.account",
            "settings",
            1,
            {"payouts_ready": settings.payouts_ready},
            {"payouts_ready": ready},
        )
        settings.payouts_ready = ready
    return "updated"


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
            outcome = _account(tx, obj)
        else:
            outcome = "ignored"
    return outcome
