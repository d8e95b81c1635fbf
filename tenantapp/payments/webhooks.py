"""Connected-account events (SPEC §5.4): each applied once, in any order, in the tenant schema.

The event id is inserted in the same transaction as its effect, so a redelivery finds it and does
nothing; handlers make no Stripe calls inside that transaction.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared import db
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking
from tenantapp.payments.models import ConnectEvent
from tenantapp.settings.models import TenantSettings

log = logging.getLogger("cleanplane.payments")


def _booking_for(tx, obj: dict) -> Booking | None:
    booking_id = (obj.get("metadata") or {}).get("booking_id")
    if booking_id and str(booking_id).isdigit():
        return tx.get(Booking, int(booking_id), with_for_update=True)
    session_id = obj.get("id")
    return tx.scalar(
        select(Booking).where(Booking.deposit_checkout_session_id == session_id).with_for_update()
    )


def _completed(tx, obj: dict) -> tuple[str, Booking | None]:
    from tenantapp.bookings.service import confirm_locked

    booking = _booking_for(tx, obj)
    if booking is None:
        return "unknown_booking", None
    booking.deposit_payment_intent_id = obj.get("payment_intent")
    if booking.status == "CANCELLED":
        # Paid after the booking was cancelled (e.g. expired here first): refund in full and
        # tell staff through the audit log.
        booking.deposit_status = "paid"
        booking.refund_cents = booking.deposit_amount_cents
        record(
            tx,
            "deposit.paid_after_cancel",
            "booking",
            booking.id,
            None,
            {"refund_cents": booking.refund_cents},
        )
        log.warning(
            "deposit paid for a cancelled booking; refunding", extra={"booking_id": booking.id}
        )
        return "refund_after_cancel", booking
    booking.deposit_status = "paid"
    if booking.status == "PENDING" and booking.risk_band != "HIGH":
        confirm_locked(tx, booking)
    return "paid", None


def _expired(tx, obj: dict) -> str:
    from tenantapp.bookings.service import cancel_locked

    booking = _booking_for(tx, obj)
    if booking is None:
        return "unknown_booking"
    if booking.status == "PENDING" and booking.deposit_status == "pending":
        cancel_locked(tx, booking, "deposit checkout expired", "system", datetime.now(UTC))
        return "cancelled"
    return "ignored"


def _refunded(tx, obj: dict) -> str:
    intent = obj.get("payment_intent")
    booking = (
        tx.scalar(
            select(Booking).where(Booking.deposit_payment_intent_id == intent).with_for_update()
        )
        if intent
        else None
    )
    if booking is None:
        return "unknown_booking"
    booking.deposit_status = "refunded"
    booking.refund_cents = int(obj.get("amount_refunded") or booking.refund_cents)
    return "refunded"


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
    from tenantapp.payments.service import refund_deposit

    to_refund = None
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
            outcome, to_refund = _completed(tx, obj)
        elif etype == "checkout.session.expired":
            outcome = _expired(tx, obj)
        elif etype == "charge.refunded":
            outcome = _refunded(tx, obj)
        elif etype == "account.updated":
            outcome = _account(tx, obj)
        else:
            outcome = "ignored"
    if to_refund is not None:
        refund_deposit(to_refund)
    return outcome
