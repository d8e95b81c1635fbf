"""The booking status machine and its side effects (audit, referral credit, e-mails, refunds).

PENDING → CONFIRMED → DONE, and PENDING/CONFIRMED → CANCELLED. Every action locks the booking row,
checks the transition, changes it and queues its e-mail in one transaction; the deposit refund of
a cancellation goes to Stripe only after that transaction commits (``on_commit``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared import db
from shared.aftercommit import on_commit
from shared.errors import Conflict, NotFound, ValidationFailed
from tenantapp.audit.service import record
from tenantapp.bookings import allowance, crews, notifications, policy
from tenantapp.bookings.availability import check_lead_time, take_slot
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import MIN_LEAD_TIME
from tenantapp.customers.models import ReferralCredit
from tenantapp.leads.models import Lead
from tenantapp.payments import service as payments
from tenantapp.reviews import service as reviews
from tenantapp.settings.models import TenantSettings

TRANSITIONS = {
    "PENDING": {"CONFIRMED", "CANCELLED", "SKIPPED"},
    "CONFIRMED": {"DONE", "CANCELLED", "SKIPPED"},
    "DONE": set(),
    "CANCELLED": set(),
    "SKIPPED": set(),  # plan visits only (tenantapp.plans.changes.skip)
}


def _now() -> datetime:
    return datetime.now(UTC)


def _settings(sess) -> TenantSettings:
    return sess.get(TenantSettings, 1)


def is_first_time(sess, customer_id: int, exclude: int | None = None) -> bool:
    stmt = select(func.count()).where(
        Booking.customer_id == customer_id, Booking.status.in_(("CONFIRMED", "DONE"))
    )
    if exclude is not None:
        stmt = stmt.where(Booking.id != exclude)
    return sess.scalar(stmt) == 0


def award_referral_credit(tx, booking: Booking) -> None:
    """The referred customer's first confirmed booking credits the referrer once."""
    lead = tx.get(Lead, booking.lead_id) if booking.lead_id is not None else None
    codes = tx.scalars(
        select(Lead.referred_by_code)
        .where(Lead.customer_id == booking.customer_id, Lead.referred_by_code.isnot(None))
        .order_by(Lead.id)
    ).all()
    code = (lead.referred_by_code if lead else None) or (codes[0] if codes else None)
    if code is None or not is_first_time(tx, booking.customer_id, exclude=booking.id):
        return
    referrer = tx.scalar(select(Lead.customer_id).where(Lead.referral_code == code))
    if referrer is None or referrer == booking.customer_id:
        return
    tx.execute(
        insert(ReferralCredit)
        .values(
            customer_id=referrer,
            referred_customer_id=booking.customer_id,
            amount_cents=_settings(tx).referral_credit_cents,
        )
        .on_conflict_do_nothing(index_elements=["referred_customer_id"])
    )


def confirm_locked(tx, booking: Booking) -> None:
    """PENDING → CONFIRMED in ``tx``: referral credit, confirmation e-mail."""
    award_referral_credit(tx, booking)
    booking.status, booking.confirmed_at = "CONFIRMED", _now()
    notifications.booking_event(tx, booking, "confirmed")


def _locked(tx, booking_id: int) -> Booking:
    booking = tx.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _transition(booking: Booking, to_status: str) -> None:
    if to_status not in TRANSITIONS[booking.status]:
        raise Conflict(
            f"A {booking.status} booking cannot become {to_status}.", code="invalid_transition"
        )


def _status_fields(b: Booking) -> dict:
    return {
        "status": b.status,
        "deposit_status": b.deposit_status,
        "team_id": b.team_id,
        "starts_at": b.starts_at.isoformat(),
    }


def confirm(booking_id: int) -> Booking:
    """Staff confirm a PENDING booking (its deposit, if any, must be paid); audited."""
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        _transition(booking, "CONFIRMED")
        if booking.team_id is None:
            raise Conflict("This visit has no team yet; move it to a free team first.")
        if booking.deposit_required and booking.deposit_status not in ("paid", None):
            raise Conflict("The deposit is not paid yet.")
        before = _status_fields(booking)
        confirm_locked(tx, booking)
        record(tx, "booking.confirm", "booking", booking.id, before, _status_fields(booking))
    return booking


def cancel(booking_id: int, reason: str | None, by: str, now: datetime | None = None) -> Booking:
    """Cancel under the policy snapshot: the refund of a paid deposit depends on the notice.

    The refund goes to Stripe after the cancellation commits (a Stripe outage never blocks a
    cancellation; the refund is retried by the next cancel call or by staff)."""
    now = now or _now()
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        cancel_locked(tx, booking, reason, by, now)
    return booking


def cancel_locked(tx, booking: Booking, reason: str | None, by: str, now: datetime) -> None:
    """The cancellation itself, in ``tx`` on a locked booking (also used by payment events).

    A booking cancelled while PENDING and unpaid gives its allowance unit back (SPEC §4.4)."""
    _transition(booking, "CANCELLED")
    before = _status_fields(booking)
    if allowance.gives_unit_back(booking, now):
        allowance.release_booking(tx, booking)
    booking.status, booking.cancelled_at = "CANCELLED", now
    booking.cancelled_by, booking.cancel_reason = by, reason
    if booking.deposit_status == "paid":
        booking.refund_cents = policy.refund_for(
            booking.policy_snapshot, booking.deposit_amount_cents, booking.starts_at, now
        )
    elif booking.deposit_status == "pending":
        booking.deposit_status = "expired"
    if by != "system":
        record(tx, "booking.cancel", "booking", booking.id, before, _status_fields(booking))
    notifications.booking_event(tx, booking, "cancelled")
    if booking.refund_cents and booking.deposit_payment_intent_id:
        on_commit(
            lambda: payments.refund_deposit(
                booking.deposit_payment_intent_id, booking.refund_cents, booking.id
            ),
            tx,
        )


def complete(booking_id: int, then: Callable[[Session, Booking], None] | None = None) -> Booking:
    """Mark a CONFIRMED booking DONE (its lead too); audited. ``then(tx, booking)`` runs in the
    same transaction (the route passes the invoice step, SPEC §5.11: a failure completes
    nothing)."""
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        _transition(booking, "DONE")
        before = _status_fields(booking)
        booking.status, booking.completed_at = "DONE", _now()
        lead = tx.get(Lead, booking.lead_id, with_for_update=True) if booking.lead_id else None
        if lead is not None and lead.status == "BOOKED":  # staff bookings have no lead
            lead.status = "DONE"
        record(tx, "booking.complete", "booking", booking.id, before, _status_fields(booking))
        # e-mail (and text) with the feedback link; NPS per worker counts the whole crew
        reviews.request_review(tx, booking, crews.crew_of(tx, booking.id))
        if then is not None:
            then(tx, booking)
    return booking


def move(booking_id: int, start: datetime, team_id: int | None, *, by: str) -> Booking:
    """Move to another start (and optionally team); the new slot is checked like a new one."""
    sess = db.session()
    zone = ZoneInfo(_settings(sess).time_zone)
    now = _now()
    if by == "customer":
        check_lead_time(start, now, MIN_LEAD_TIME)
    else:
        check_lead_time(start, now, timedelta(0))
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        if booking.status not in ("PENDING", "CONFIRMED"):
            raise Conflict(
                f"A {booking.status} booking cannot be moved.", code="invalid_transition"
            )
        if by == "customer" and not policy.may_reschedule(
            booking.policy_snapshot, booking.starts_at, now
        ):
            hours = booking.policy_snapshot["cancellation"]["free_hours"]
            raise Conflict(
                f"Bookings can be rescheduled online up to {hours} hours ahead; please contact us."
            )
        before = _status_fields(booking)
        booking.team_id = take_slot(
            tx, start, booking.duration_minutes, zone, team_id=team_id, exclude=booking.id
        )
        booking.starts_at = start
        booking.ends_at = start + timedelta(minutes=booking.duration_minutes)
        crews.recheck(tx, booking)  # its workers must be free at the new time too
        if booking.plan_id is not None:
            _settle_plan_visit(tx, booking)
        if by != "customer":
            record(tx, "booking.move", "booking", booking.id, before, _status_fields(booking))
        notifications.booking_event(tx, booking, "rescheduled")
    return booking


def _settle_plan_visit(tx, booking: Booking) -> None:
    """A plan visit moved one by one is detached (plan changes leave it alone); a conflict visit
    that got a team is no longer a conflict and is confirmed (plan visits take no deposit)."""
    booking.detached = True
    if booking.conflict_reason is not None:
        if booking.conflict_reason == "limit_reached":
            allowance.count_plan_visit(tx, booking, _now())  # never counted: 402 if still full
        booking.conflict_reason = None
        if booking.status == "PENDING" and booking.deposit_status is None:
            confirm_locked(tx, booking)


def assign(booking_id: int, worker_id: int | None) -> Booking:
    """A crew of that one worker (of any team: the booking keeps its team), or none (None).

    Only PENDING and CONFIRMED bookings can be (re)assigned; the worker must be free then."""
    ids = [] if worker_id is None else [worker_id]
    try:
        return crews.set_crew(booking_id, ids, action="booking.assign")
    except ValidationFailed as exc:  # name the field this endpoint takes
        raise ValidationFailed([{**e, "field": "worker_id"} for e in exc.extra["errors"]]) from exc


def update(booking_id: int, data: dict) -> Booking:
    """Change a booking's editable fields (a new team moves it like a reschedule); audited."""
    if "team_id" in data:
        booking = db.session().get(Booking, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        if data["team_id"] != booking.team_id:
            move(booking_id, booking.starts_at, data["team_id"], by="staff")
        data = {k: v for k, v in data.items() if k != "team_id"}
        db.close_session()
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        before, after = {}, {}
        for key, value in data.items():
            if getattr(booking, key) != value:
                before[key], after[key] = getattr(booking, key), value
                setattr(booking, key, value)
        if after:
            if booking.plan_id is not None:
                booking.detached = True  # edited one by one: plan changes leave it alone
            record(tx, "booking.update", "booking", booking.id, before, after)
    return booking
