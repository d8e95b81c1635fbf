"""Bookings: creation from a lead (public), reading and the booking view.

The status machine lives in ``lifecycle``, slots in ``availability``, deposits in ``deposits``,
e-mails in ``notifications`` and ``reminders``, jobs in ``jobs``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, tuple_

from shared import db
from shared.errors import Conflict, NotFound
from shared.pagination import decode_cursor, page
from tenantapp.bookings import allowance, deposits, links, notifications, policy
from tenantapp.bookings.availability import check_lead_time, take_slot
from tenantapp.bookings.crews import crew_size, crews_of
from tenantapp.bookings.lifecycle import confirm_locked, is_first_time
from tenantapp.bookings.models import Booking
from tenantapp.bookings.slots import MIN_LEAD_TIME
from tenantapp.customers.models import ReferralCredit
from tenantapp.leads.models import Lead
from tenantapp.leads.proof import lead_by_proof
from tenantapp.leads.service import booking_minutes, lead_service_type
from tenantapp.settings.models import TenantSettings


def _now() -> datetime:
    return datetime.now(UTC)


def _settings(sess) -> TenantSettings:
    return sess.get(TenantSettings, 1)


def _earlier_cancellations(sess, customer_id: int) -> int:
    return sess.scalar(
        select(func.count()).where(
            Booking.customer_id == customer_id,
            Booking.status == "CANCELLED",
            Booking.cancelled_by.in_(("customer", "staff")),
        )
    )


def redeem_credits(tx, customer_id: int, total: int, booking_id: int) -> int:
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


def create_booking(data: dict, on_booked=None) -> Booking:
    """Book a lead into a free slot: risk, deposit decision, policy snapshot, entitlement.

    Checks first (lead time), then one transaction: prove and lock the lead (404 without its
    token, 409 when it is closed or already has a live booking), take the slot, add the booking,
    apply referral credits, decide risk and deposit, count the booking in the period of its start,
    open the deposit checkout or confirm, hold the cap on bookings waiting without a deposit,
    run ``on_booked`` (the route passes the recurring-plan anchor, SPEC §5.10), and queue the
    e-mail.
    """
    sess = db.session()
    settings = _settings(sess)
    now = _now()
    start = data["starts_at"]
    check_lead_time(start, now, MIN_LEAD_TIME)
    with db.transaction() as tx:
        lead = _bookable_lead(tx, data["lead_id"], data.get("lead_token"))
        booking = _new_booking(tx, lead, data, ZoneInfo(settings.time_zone))
        first_time = is_first_time(tx, lead.customer_id)
        risk, deposit = decide(tx, booking, lead, settings, first_time, now)
        allowance.count_booking(tx, booking, now)
        if deposit.required:
            deposits.start_deposit(tx, booking, settings)
        elif risk.band != "HIGH":
            confirm_locked(tx, booking)
        allowance.check_pending_cap(tx, booking, settings)
        if lead.status in ("NEW", "CONTACTED"):
            lead.status = "BOOKED"
        if on_booked is not None:  # the public flow's plan (tenantapp.plans), same transaction
            on_booked(tx, booking, lead, ZoneInfo(settings.time_zone), now)
        notifications.booking_event(tx, booking, "created")
    return booking


def _bookable_lead(tx, lead_id: int, token: str | None) -> Lead:
    """The proven lead, locked: one live booking per lead, whatever races (SPEC §5.4)."""
    lead = lead_by_proof(lead_id, token, for_update=True)
    if lead.status in ("DONE", "CANCELLED"):
        raise Conflict(f"This lead is {lead.status.lower()}; ask for a new quote.")
    live = tx.scalar(
        select(Booking.id).where(
            Booking.lead_id == lead.id, Booking.status.in_(("PENDING", "CONFIRMED"))
        )
    )
    if live is not None:
        raise Conflict("This quote is already booked; use the link in your e-mail to change it.")
    return lead


def _new_booking(tx, lead: Lead, data: dict, zone: ZoneInfo) -> Booking:
    """Take the slot and add the PENDING booking at the lead's estimate, less referral credits."""
    start = data["starts_at"]
    minutes = booking_minutes(lead)
    team_id = take_slot(tx, start, minutes, zone)
    estimate_total = int(lead.estimate["total_before_tax_cents"])
    booking = Booking(
        lead_id=lead.id,
        customer_id=lead.customer_id,
        property_id=lead.property_id,
        team_id=team_id,
        status="PENDING",
        service_type=lead_service_type(lead),
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        duration_minutes=minutes,
        estimate_request=lead.estimate_request,
        estimate=lead.estimate,
        estimate_total_cents=estimate_total,
        total_cents=estimate_total,
        risk_score=0,
        risk_band="LOW",
        policy_snapshot={},
        photo_consent=bool(data.get("photo_consent")),
    )
    tx.add(booking)
    tx.flush()
    credit = redeem_credits(tx, lead.customer_id, estimate_total, booking.id)
    booking.credit_applied_cents = credit
    booking.total_cents = estimate_total - credit
    return booking


def decide(tx, booking: Booking, lead, settings: TenantSettings, first_time: bool, now):
    """Score the risk, decide the deposit and snapshot the policy onto the booking.

    ``lead`` is where the booking is: a lead or a property (its ``postal_code`` and
    ``customer_id`` are read)."""
    hours_until = (booking.starts_at - now).total_seconds() / 3600
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
        service_type=booking.service_type,
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
    booking.deposit_amount_cents, booking.deposit_percent = deposit.amount_cents, deposit.percent
    booking.deposit_reasons = deposit.reasons
    booking.policy_snapshot = {
        "deposit": deposit.as_dict(),
        "risk": {"score": risk.score, "band": risk.band, "reasons": risk.reasons},
        "cancellation": policy.cancellation_windows(booking.service_type),
        "service_type": booking.service_type,
    }
    return risk, deposit


def get(booking_id: int) -> Booking:
    """One booking, or 404."""
    booking = db.session().get(Booking, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def list_bookings(args: dict, start, end) -> dict:
    """Bookings starting in [start, end), by start then id, one page."""
    stmt = select(Booking).order_by(Booking.starts_at, Booking.id).limit(args["limit"] + 1)
    if start is not None:
        stmt = stmt.where(Booking.starts_at >= start)
    if end is not None:
        stmt = stmt.where(Booking.starts_at < end)
    if args.get("status"):
        stmt = stmt.where(Booking.status == args["status"])
    if args.get("team_id") is not None:
        stmt = stmt.where(Booking.team_id == args["team_id"])
    if args.get("customer_id") is not None:
        stmt = stmt.where(Booking.customer_id == args["customer_id"])
    after = decode_cursor(args.get("cursor"), datetime.fromisoformat, int)
    if after:
        stmt = stmt.where(tuple_(Booking.starts_at, Booking.id) > tuple_(after[0], after[1]))
    rows = list(db.session().scalars(stmt))
    return page(rows, args["limit"], lambda b: [b.starts_at.isoformat(), b.id])


def views(bookings: list[Booking]) -> list[dict]:
    """Booking responses for a page (the crews read in one query)."""
    crew = crews_of(db.session(), [b.id for b in bookings])
    return [view(b, crew=crew[b.id]) for b in bookings]


def view(booking: Booking, *, with_manage_url: bool = True, crew: list[int] | None = None) -> dict:
    """The SPEC §5.4 booking response, with SPEC §5.9's ``property_id`` and ``worker_ids``."""
    zone = ZoneInfo(_settings(db.session()).time_zone)
    if crew is None:
        crew = crews_of(db.session(), [booking.id])[booking.id]
    return {
        "id": booking.id,
        "status": booking.status,
        "starts_at": booking.starts_at,
        "starts_at_local": booking.starts_at.astimezone(zone),
        "ends_at": booking.ends_at,
        "duration_minutes": booking.duration_minutes,
        "team_id": booking.team_id,
        "worker_ids": crew,
        "worker_id": crew[0] if crew else None,
        "crew_size": crew_size(booking, crew),
        "lead_id": booking.lead_id,
        "customer_id": booking.customer_id,
        "property_id": booking.property_id,
        "service_type": booking.service_type,
        "estimate_total_cents": booking.estimate_total_cents,
        "price_override_cents": booking.price_override_cents,
        "price_override_reason": booking.price_override_reason,
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
        "plan_id": booking.plan_id,
        "occurrence_date": booking.occurrence_date,
        "flags": list(booking.flags or []),
        "conflict_reason": booking.conflict_reason,
    }
