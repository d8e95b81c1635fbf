"""The deposit lifecycle of a booking: opened at booking, paid, expired, refunded.

``none`` (not required) | ``pending`` (Checkout Session open) → ``paid`` → ``refunded``, or
``pending`` → ``expired`` (the booking is cancelled and its slot freed). The Stripe calls go through
the Connect gateway (``tenantapp.payments.service``); connected-account events arrive through
``tenantapp.connect_events`` and call the ``checkout_*``/``charge_refunded`` actions here, in the
transaction that records the event id. Stripe calls never run inside a transaction: they are
registered with ``on_commit``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shared import db
from shared.aftercommit import on_commit
from shared.errors import ServiceUnavailable
from shared.runtime import current_runtime
from tenantapp.audit.service import record
from tenantapp.bookings.lifecycle import cancel_locked, confirm_locked
from tenantapp.bookings.links import done_url
from tenantapp.bookings.models import Booking
from tenantapp.leads.models import Lead
from tenantapp.payments import service as payments
from tenantapp.settings.models import TenantSettings

log = logging.getLogger("cleanplane.payments")


def deposit_currency(booking: Booking) -> str:
    """The currency of the estimate the booking was made from (CAD when it names none)."""
    estimate = booking.estimate
    if estimate is None and booking.lead_id is not None:  # a row written before t0012
        estimate = db.session().get(Lead, booking.lead_id).estimate
    return (estimate or {}).get("currency", "CAD")


def start_deposit(tx, booking: Booking, settings: TenantSettings) -> None:
    """Open the deposit checkout on the tenant's connected account, or record why not."""
    if not settings.stripe_account_id:
        booking.downgraded_reason = "stripe_unavailable"
        return
    try:
        session, expires = payments.open_deposit_checkout(
            settings,
            booking_id=booking.id,
            amount_cents=booking.deposit_amount_cents,
            currency=deposit_currency(booking),
            return_url=done_url(booking.id),  # the booking page's confirmation
            customer_id=booking.customer_id,  # its saved card becomes the card on file
        )
    except ServiceUnavailable:  # Stripe down or the breaker open: book without a deposit
        booking.downgraded_reason = "stripe_unavailable"
        return
    booking.deposit_status = "pending"
    booking.deposit_checkout_session_id = session.id
    booking.deposit_checkout_url = session.url
    booking.deposit_expires_at = expires


def _booking_for(tx, obj: dict) -> Booking | None:
    booking_id = (obj.get("metadata") or {}).get("booking_id")
    if booking_id and str(booking_id).isdigit():
        return tx.get(Booking, int(booking_id), with_for_update=True)
    session_id = obj.get("id")
    return tx.scalar(
        select(Booking).where(Booking.deposit_checkout_session_id == session_id).with_for_update()
    )


def checkout_completed(tx, obj: dict) -> str:
    """The deposit was paid: confirm the booking (unless HIGH risk), or refund a cancelled one."""
    booking = _booking_for(tx, obj)
    if booking is None:
        return "unknown_booking"
    booking.deposit_payment_intent_id = obj.get("payment_intent")
    booking.deposit_status = "paid"
    if booking.status == "CANCELLED":
        # Paid after the booking was cancelled (e.g. expired here first): refund in full and
        # tell staff through the audit log.
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
        on_commit(
            lambda: payments.refund_deposit(
                booking.deposit_payment_intent_id, booking.refund_cents, booking.id
            ),
            tx,
        )
        return "refund_after_cancel"
    if booking.status == "PENDING" and booking.risk_band != "HIGH":
        confirm_locked(tx, booking)
    return "paid"


def checkout_expired(tx, obj: dict) -> str:
    """The Checkout Session expired unpaid: cancel the PENDING booking and free its slot."""
    booking = _booking_for(tx, obj)
    if booking is None:
        return "unknown_booking"
    if booking.status == "PENDING" and booking.deposit_status == "pending":
        cancel_locked(tx, booking, "deposit checkout expired", "system", datetime.now(UTC))
        return "cancelled"
    return "ignored"


def charge_refunded(tx, obj: dict) -> str:
    """Stripe refunded the deposit's charge: record the refunded amount."""
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


def expire_unpaid_deposits(now: datetime | None = None) -> dict:
    """Cancel PENDING bookings whose deposit is unpaid past DEPOSIT_HOLD_MINUTES; free the slot
    and expire their Checkout Session (after the cancellations commit)."""
    now = now or datetime.now(UTC)
    hold = timedelta(minutes=current_runtime().settings.deposit_hold_minutes)
    outcome = {"cancelled": 0, "sessions_not_expired": 0}
    with db.transaction() as tx:
        rows = tx.scalars(
            select(Booking)
            .where(
                Booking.status == "PENDING",
                Booking.deposit_status == "pending",
                Booking.created_at <= now - hold,
            )
            .with_for_update(skip_locked=True)
        ).all()
        sessions = []
        for booking in rows:
            cancel_locked(tx, booking, "deposit not paid in time", "system", now)
            if booking.deposit_checkout_session_id:
                sessions.append(booking.deposit_checkout_session_id)
        outcome["cancelled"] = len(rows)

        def expire_sessions():
            outcome["sessions_not_expired"] = payments.expire_checkouts(sessions)

        on_commit(expire_sessions, tx)
    return outcome
