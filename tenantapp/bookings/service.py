"""Bookings: creation from a lead (public), the status machine and staff/customer actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, tuple_

from shared import db
from shared.entitlements import consume
from shared.errors import Conflict, NotFound, field_error
from shared.pagination import decode_cursor, page
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.bookings import links, policy
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import check_lead_time, take_slot
from tenantapp.customers.models import ReferralCredit
from tenantapp.leads.models import Lead
from tenantapp.leads.service import booking_minutes, get_lead, lead_service_type
from tenantapp.scheduling.slots import MIN_LEAD_TIME
from tenantapp.settings.models import TenantSettings

TRANSITIONS = {
    "PENDING": {"CONFIRMED", "CANCELLED"},
    "CONFIRMED": {"DONE", "CANCELLED"},
    "DONE": set(),
    "CANCELLED": set(),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _settings(sess) -> TenantSettings:
    return sess.get(TenantSettings, 1)


def _emit(tx, booking: Booking, event: str) -> None:
    """created, confirmed, cancelled or rescheduled: e-mails go out with this transaction."""
    from tenantapp import notifications

    notifications.booking_event(tx, booking, event)


def _first_time(sess, customer_id: int, exclude: int | None = None) -> bool:
    stmt = select(func.count()).where(
        Booking.customer_id == customer_id, Booking.status.in_(("CONFIRMED", "DONE"))
    )
    if exclude is not None:
        stmt = stmt.where(Booking.id != exclude)
    return sess.scalar(stmt) == 0


def _earlier_cancellations(sess, customer_id: int) -> int:
    return sess.scalar(
        select(func.count()).where(
            Booking.customer_id == customer_id,
            Booking.status == "CANCELLED",
            Booking.cancelled_by.in_(("customer", "staff")),
        )
    )


def _redeem_credits(tx, customer_id: int, total: int, booking_id: int) -> int:
    """Apply the customer's unredeemed referral credits (oldest first) to this booking."""
    applied = 0
    credits = tx.scalars(
        select(ReferralCredit)
        .where(ReferralCredit.customer_id == customer_id, ReferralCredit.redeemed_at.is_(None))
        .order_by(ReferralCredit.id)
        .with_for_update()
    )
    for credit in credits:
        if applied >= total:
            break
        applied += credit.amount_cents
        credit.redeemed_booking_id, credit.redeemed_at = booking_id, _now()
    return min(applied, total)


def create_booking(data: dict) -> Booking:
    """Book a lead into a free slot: risk, deposit decision, policy snapshot, entitlement."""
    sess = db.session()
    settings = _settings(sess)
    zone = ZoneInfo(settings.time_zone)
    now = _now()
    start = data["starts_at"]
    check_lead_time(start, now, MIN_LEAD_TIME)
    lead = get_lead(data["lead_id"])
    if lead.status in ("DONE", "CANCELLED"):
        raise Conflict(f"This lead is {lead.status.lower()}; ask for a new quote.")
    service_type = lead_service_type(lead)
    minutes = booking_minutes(lead)
    with db.transaction() as tx:
        team_id = take_slot(tx, start, minutes, zone)
        estimate_total = int(lead.estimate["total_before_tax_cents"])
        first_time = _first_time(tx, lead.customer_id)
        hours_until = (start - now).total_seconds() / 3600
        booking = Booking(
            lead_id=lead.id,
            customer_id=lead.customer_id,
            team_id=team_id,
            status="PENDING",
            service_type=service_type,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            duration_minutes=minutes,
            estimate_total_cents=estimate_total,
            total_cents=estimate_total,
            risk_score=0,
            risk_band="LOW",
            policy_snapshot={},
            photo_consent=bool(data.get("photo_consent")),
        )
        tx.add(booking)
        tx.flush()
        credit = _redeem_credits(tx, lead.customer_id, estimate_total, booking.id)
        booking.credit_applied_cents = credit
        booking.total_cents = estimate_total - credit
        risk = policy.assess_risk(
            policy.RiskFacts(
                first_time=first_time,
                total_cents=booking.total_cents,
                hours_until_start=hours_until,
                postal_code=lead.postal_code,
                flagged_prefixes=tuple(settings.flagged_postal_prefixes or ()),
                earlier_cancellations=_earlier_cancellations(tx, lead.customer_id),
            )
        )
        deposit = policy.decide_deposit(
            first_time=first_time,
            service_type=service_type,
            hours_until_start=hours_until,
            total_cents=booking.total_cents,
            risk_band=risk.band,
            policy=settings.deposit_policy,
        )
        booking.risk_score, booking.risk_band, booking.risk_reasons = (
            risk.score,
            risk.band,
            risk.reasons,
        )
        booking.deposit_required = deposit.required
        booking.deposit_amount_cents, booking.deposit_percent = (
            deposit.amount_cents,
            deposit.percent,
        )
        booking.deposit_reasons = deposit.reasons
        booking.policy_snapshot = {
            "deposit": deposit.as_dict(),
            "risk": {"score": risk.score, "band": risk.band, "reasons": risk.reasons},
            "cancellation": policy.cancellation_windows(service_type),
            "service_type": service_type,
        }
        consume(
            tx,
            current_tenant(),
            "bookings_created",
            1,
            idempotency_key=f"booking:{current_tenant().id}:{booking.id}",
        )
        if deposit.required:
            _start_deposit(tx, booking, settings)
        elif risk.band != "HIGH":
            confirm_locked(tx, booking)
        if lead.status in ("NEW", "CONTACTED"):
            lead.status = "BOOKED"
        _emit(tx, booking, "created")
    return booking


def _start_deposit(tx, booking: Booking, settings: TenantSettings) -> None:
    """Open the deposit checkout on the tenant's connected account, or record why not."""
    from shared.errors import ServiceUnavailable
    from tenantapp.payments.service import start_deposit

    if not settings.stripe_account_id:
        booking.downgraded_reason = "stripe_unavailable"
        return
    try:
        start_deposit(booking, settings)
    except ServiceUnavailable:  # Stripe down or the breaker open: book without a deposit
        booking.downgraded_reason = "stripe_unavailable"


def award_referral_credit(tx, booking: Booking) -> None:
    """The referred customer's first confirmed booking credits the referrer once."""
    lead = tx.get(Lead, booking.lead_id)
    codes = tx.scalars(
        select(Lead.referred_by_code)
        .where(Lead.customer_id == booking.customer_id, Lead.referred_by_code.isnot(None))
        .order_by(Lead.id)
    ).all()
    code = lead.referred_by_code or (codes[0] if codes else None)
    if code is None or not _first_time(tx, booking.customer_id, exclude=booking.id):
        return
    referrer = tx.scalar(select(Lead.customer_id).where(Lead.referral_code == code))
    if referrer is None or referrer == booking.customer_id:
        return
    from sqlalchemy.dialects.postgresql import insert

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
    _emit(tx, booking, "confirmed")


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
        "worker_id": b.worker_id,
    }


def confirm(booking_id: int) -> Booking:
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        _transition(booking, "CONFIRMED")
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
    if booking.refund_cents and booking.deposit_payment_intent_id:
        from tenantapp.payments.service import refund_deposit

        refund_deposit(booking)
    return booking


def cancel_locked(tx, booking: Booking, reason: str | None, by: str, now: datetime) -> None:
    """The cancellation itself, in ``tx`` on a locked booking (also used by payment events)."""
    _transition(booking, "CANCELLED")
    before = _status_fields(booking)
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
    _emit(tx, booking, "cancelled")


def complete(booking_id: int) -> Booking:
    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        _transition(booking, "DONE")
        before = _status_fields(booking)
        booking.status, booking.completed_at = "DONE", _now()
        lead = tx.get(Lead, booking.lead_id, with_for_update=True)
        if lead.status == "BOOKED":
            lead.status = "DONE"
        record(tx, "booking.complete", "booking", booking.id, before, _status_fields(booking))
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
        if by != "customer":
            record(tx, "booking.move", "booking", booking.id, before, _status_fields(booking))
        _emit(tx, booking, "rescheduled")
    return booking


def assign(booking_id: int, worker_id: int | None) -> Booking:
    """Assign an active worker (of any team: the booking keeps its team) or unassign (None).

    Only PENDING and CONFIRMED bookings can be (re)assigned.
    """
    from tenantapp.workers.models import Worker

    with db.transaction() as tx:
        booking = _locked(tx, booking_id)
        if booking.status not in ("PENDING", "CONFIRMED"):
            raise Conflict(
                f"A {booking.status} booking cannot be reassigned.", code="invalid_transition"
            )
        if worker_id is not None:
            worker = tx.get(Worker, worker_id, with_for_update=True)
            if worker is None:
                raise field_error("worker_id", "No such worker.")
            if not worker.active:
                raise field_error("worker_id", "This worker is deactivated.")
        if booking.worker_id != worker_id:
            before = _status_fields(booking)
            booking.worker_id = worker_id
            record(tx, "booking.assign", "booking", booking.id, before, _status_fields(booking))
    return booking


def update(booking_id: int, data: dict) -> Booking:
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
            record(tx, "booking.update", "booking", booking.id, before, after)
    return booking


def get(booking_id: int) -> Booking:
    booking = db.session().get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def list_bookings(args: dict, start, end) -> dict:
    stmt = select(Booking).order_by(Booking.starts_at, Booking.id).limit(args["limit"] + 1)
    if start is not None:
        stmt = stmt.where(Booking.starts_at >= start)
    if end is not None:
        stmt = stmt.where(Booking.starts_at < end)
    if args.get("status"):
        stmt = stmt.where(Booking.status == args["status"])
    if args.get("team_id") is not None:
        stmt = stmt.where(Booking.team_id == args["team_id"])
    after = decode_cursor(args.get("cursor"), datetime.fromisoformat, int)
    if after:
        stmt = stmt.where(tuple_(Booking.starts_at, Booking.id) > tuple_(after[0], after[1]))
    rows = list(db.session().scalars(stmt))
    return page(rows, args["limit"], lambda b: [b.starts_at.isoformat(), b.id])


def view(booking: Booking, *, with_manage_url: bool = True) -> dict:
    """The SPEC §5.4 booking response."""
    zone = ZoneInfo(_settings(db.session()).time_zone)
    return {
        "id": booking.id,
        "status": booking.status,
        "starts_at": booking.starts_at,
        "starts_at_local": booking.starts_at.astimezone(zone),
        "ends_at": booking.ends_at,
        "duration_minutes": booking.duration_minutes,
        "team_id": booking.team_id,
        "worker_id": booking.worker_id,
        "lead_id": booking.lead_id,
        "customer_id": booking.customer_id,
        "total_cents": booking.total_cents,
        "credit_applied_cents": booking.credit_applied_cents,
        "risk": {
            "score": booking.risk_score,
            "band": booking.risk_band,
            "reasons": booking.risk_reasons,
        },
        "deposit": {
            "required": booking.deposit_required,
            "amount_cents": booking.deposit_amount_cents,
            "percent": booking.deposit_percent,
            "reasons": booking.deposit_reasons,
            "status": booking.deposit_status,
            "checkout_url": booking.deposit_checkout_url,
            "downgraded_reason": booking.downgraded_reason,
        },
        "refund_cents": booking.refund_cents,
        "photo_consent": booking.photo_consent,
        "notes": booking.notes,
        "policy_snapshot": booking.policy_snapshot,
        "manage_url": links.manage_url(booking.id) if with_manage_url else None,
    }
