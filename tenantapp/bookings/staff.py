"""Staff-made bookings (SPEC §5.9): a phone-in or repeat customer booked by dispatch.

``create_staff_booking`` is a plain service function (no request needed: recurring plans reuse
it). Compared with the public flow (``service.create_booking``): no captcha and no 2-hour rule, a
customer and one of their properties instead of a lead, the price from an estimate request (given,
else the property's home details) or a price override with its reason, a duration staff may set
(30..600 minutes in 30-minute steps), a team given or the first free one, optional crew,
``override_availability`` (outside working hours or over a blackout, never over another booking
of the team or of a worker) and ``skip_deposit``. Kept: the per-team lock, the buffers, the
allowance (402), risk, the deposit policy, referral credits, the e-mails. Every override is
audited with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from jobs import signals
from shared import db
from shared.errors import Conflict, ValidationFailed, field_error
from tenantapp.audit.service import record
from tenantapp.bookings import allowance, crews, deposits, notifications
from tenantapp.bookings.availability import take_staff_slot
from tenantapp.bookings.lifecycle import confirm_locked, is_first_time
from tenantapp.bookings.models import Booking
from tenantapp.bookings.service import decide, redeem_credits
from tenantapp.customers.models import Customer
from tenantapp.customers.service import bookable_property, jsonable
from tenantapp.pricing.estimator import duration_minutes as estimated_minutes
from tenantapp.pricing.service import estimate_now
from tenantapp.settings.models import TenantSettings

MIN_MINUTES, MAX_MINUTES, STEP_MINUTES = 30, 600, 30
RECURRING = ("weekly", "biweekly", "monthly")


@dataclass(frozen=True)
class Priced:
    """What the booking is priced and sized from."""

    request: dict | None
    estimate: dict | None
    service_type: str
    estimate_total_cents: int
    minutes: int
    minutes_set_by_staff: bool


def _now() -> datetime:
    return datetime.now(UTC)


def check_duration(minutes: int, field: str = "duration_minutes") -> None:
    """30..600 minutes in 30-minute steps, or a 422 on ``field``."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES or minutes % STEP_MINUTES:
        raise field_error(field, f"{MIN_MINUTES}..{MAX_MINUTES} minutes in steps of {STEP_MINUTES}")


def _check_reasons(data: dict) -> None:
    """Each override comes with its reason (422 on the reason's field)."""
    pairs = (
        ("price_override_cents", "price_override_reason", lambda v: v is not None),
        ("override_availability", "override_reason", bool),
    )
    for value, reason, given in pairs:
        if given(data.get(value)) and not (data.get(reason) or "").strip():
            raise field_error(reason, f"{reason} is required with {value}")


def _estimate(request: dict, field: str) -> dict:
    try:
        return jsonable(estimate_now(request).as_dict())
    except ValidationFailed as exc:  # the estimator names fields relative to its request
        raise ValidationFailed(
            [{**e, "field": f"{field}.{e['field']}"} for e in exc.extra["errors"]]
        ) from exc


def price(data: dict, home: dict | None) -> Priced:
    """The estimate (the request given, else the property's home as a one-time clean) or the
    override alone; the duration staff set, else the estimate's (public clamps)."""
    request = data.get("estimate_request")
    field = "estimate_request"
    if request is not None:
        if request.get("frequency", "one_time") in RECURRING:
            raise field_error(
                "estimate_request.frequency",
                "recurring work is a plan (POST /admin/plans); book one visit with one_time",
            )
        request = jsonable(request)
    elif home:
        request, field = {**home, "frequency": "one_time"}, "property_id"
    estimate = _estimate(request, field) if request is not None else None
    if estimate is None and data.get("price_override_cents") is None:
        raise field_error(
            "estimate_request",
            "give estimate_request (or a property with home details) or price_override_cents",
        )
    service_type = (request or {}).get("service_type", "standard")
    minutes = data.get("duration_minutes")
    if minutes is not None:
        check_duration(minutes)
    elif estimate is not None:
        minutes = estimated_minutes(estimate["time_on_site_hours"], service_type)
    else:
        raise field_error("duration_minutes", "required when there is no estimate to size the job")
    return Priced(
        request=request,
        estimate=estimate,
        service_type=service_type,
        estimate_total_cents=int(estimate["total_before_tax_cents"]) if estimate else 0,
        minutes=minutes,
        minutes_set_by_staff=data.get("duration_minutes") is not None,
    )


def create_staff_booking(data: dict, *, now: datetime | None = None, notify: bool = True):
    """Book ``data`` (the ``POST /admin/bookings`` body, already loaded) and return the booking.

    One transaction: customer and property, slot (team lock, re-check), crew (worker locks),
    price and credits, risk and deposit, allowance, deposit checkout or confirmation, audit,
    e-mail. CONFIRMED unless the deposit policy applies and ``skip_deposit`` is false.
    """
    now = now or _now()
    start = data["starts_at"]
    if start <= now:
        raise field_error("starts_at", "starts_at is in the past")
    _check_reasons(data)
    sess = db.session()
    settings = sess.get(TenantSettings, 1)
    zone = ZoneInfo(settings.time_zone)
    with db.transaction() as tx:
        customer = tx.get(Customer, data["customer_id"])
        if customer is None:
            raise field_error("customer_id", "No such customer.")
        if customer.anonymized_at is not None:
            raise Conflict("This customer's data was erased; create a new customer.")
        place = bookable_property(tx, customer.id, data["property_id"])
        priced = price(data, place.home)
        worker_ids = crews.check_workers(tx, data.get("worker_ids") or [])
        team_id = take_staff_slot(
            tx,
            start,
            priced.minutes,
            zone,
            team_id=data.get("team_id"),
            override=bool(data.get("override_availability")),
        )
        booking = _new_booking(tx, data, customer, place, priced, team_id)
        crews.replace_crew(tx, booking, worker_ids)
        risk, deposit = decide(tx, booking, place, settings, is_first_time(tx, customer.id), now)
        allowance.count_booking(tx, booking, now)
        if deposit.required and not data.get("skip_deposit"):
            deposits.start_deposit(tx, booking, settings)
        else:
            confirm_locked(tx, booking)
        allowance.check_pending_cap(tx, booking, settings)
        _audit(tx, booking, data, priced, worker_ids)
        if notify:
            notifications.booking_event(tx, booking, "created")
        else:  # no e-mail, but its reminder and deposit hold still fall due
            signals.booking_changed(tx, booking)
    return booking


def _new_booking(tx, data, customer, place, priced: Priced, team_id: int) -> Booking:
    start = data["starts_at"]
    override = data.get("price_override_cents")
    price_cents = override if override is not None else priced.estimate_total_cents
    booking = Booking(
        lead_id=None,
        customer_id=customer.id,
        property_id=place.id,
        team_id=team_id,
        status="PENDING",
        service_type=priced.service_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=priced.minutes),
        duration_minutes=priced.minutes,
        estimate_request=priced.request,
        estimate=priced.estimate,
        estimate_total_cents=priced.estimate_total_cents,
        price_override_cents=override,
        price_override_reason=(data.get("price_override_reason") or "").strip() or None
        if override is not None
        else None,
        total_cents=price_cents,
        risk_score=0,
        risk_band="LOW",
        policy_snapshot={},
        notes=data.get("notes"),
    )
    tx.add(booking)
    tx.flush()
    credit = redeem_credits(tx, customer.id, price_cents, booking.id)
    booking.credit_applied_cents = credit
    booking.total_cents = price_cents - credit
    return booking


def _audit(tx, booking: Booking, data: dict, priced: Priced, worker_ids) -> None:
    """One entry for the booking, one per override with its reason."""
    record(
        tx,
        "booking.create",
        "booking",
        booking.id,
        after={
            "source": "staff",
            "customer_id": booking.customer_id,
            "property_id": booking.property_id,
            "starts_at": booking.starts_at.isoformat(),
            "team_id": booking.team_id,
            "worker_ids": worker_ids,
            "total_cents": booking.total_cents,
            "status": booking.status,
            "skip_deposit": bool(data.get("skip_deposit")),
        },
    )
    if booking.price_override_cents is not None:
        record(
            tx,
            "booking.price_override",
            "booking",
            booking.id,
            {"estimate_total_cents": booking.estimate_total_cents},
            {
                "price_override_cents": booking.price_override_cents,
                "reason": booking.price_override_reason,
            },
        )
    if data.get("override_availability"):
        record(
            tx,
            "booking.availability_override",
            "booking",
            booking.id,
            after={"starts_at": booking.starts_at.isoformat(), "reason": data["override_reason"]},
        )
    if priced.minutes_set_by_staff:
        estimated = (
            estimated_minutes(priced.estimate["time_on_site_hours"], priced.service_type)
            if priced.estimate
            else None
        )
        record(
            tx,
            "booking.duration_override",
            "booking",
            booking.id,
            {"estimated_minutes": estimated},
            {"duration_minutes": priced.minutes},
        )
