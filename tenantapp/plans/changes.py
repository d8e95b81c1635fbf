"""Plan changes: patch from a date, pause, resume, cancel, and skipping one visit (SPEC §5.10).

Each runs in one transaction holding the plan's row lock (the horizon job takes the same lock, so
a change and a materialisation never interleave), audits the change, and queues one
``plan_changed`` e-mail with the next visits. Visits the plan cancels itself carry
``cancelled_by = 'system'`` (reasons ``plan_changed``, ``plan_paused``, ``plan_cancelled``), so
they never count as the customer's cancellations (risk score), and give their unit back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select

from jobs import signals
from shared import db
from shared.errors import Conflict, NotFound, field_error
from tenantapp.audit.service import record
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.plans import notifications, service, visits
from tenantapp.plans.models import ServicePlan
from tenantapp.pricing.estimator import EstimateRequest, PricingSnapshot, estimate
from tenantapp.pricing.models import PricingConfig
from tenantapp.sms.service import site_url, staff_alert_address

SKIP_NOTICE = timedelta(hours=48)
MAX_PAUSE_WEEKS = 8


def _now() -> datetime:
    return datetime.now(UTC)


def _locked(tx, plan_id: int) -> ServicePlan:
    plan = visits.locked_plan(tx, plan_id)
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def _require(plan: ServicePlan, *statuses: str, action: str) -> None:
    if plan.status not in statuses:
        raise Conflict(f"A {plan.status} plan cannot be {action}.", code="invalid_transition")


def _today(plan: ServicePlan, now: datetime) -> date:
    return now.astimezone(visits.plan_rule(plan).zone).date()


def _not_before_today(field: str, day: date, plan: ServicePlan, now: datetime) -> None:
    if day < _today(plan, now):
        raise field_error(field, f"{field} is before today")


def _cancel_visit(tx, booking: Booking, reason: str, now: datetime) -> None:
    visits.release_visit(tx, booking, now)
    booking.status, booking.cancelled_at = "CANCELLED", now
    booking.cancelled_by, booking.cancel_reason = "system", reason
    if booking.deposit_status == "pending":
        booking.deposit_status = "expired"


def _future_visits(tx, plan_id: int, start: date, now: datetime, end: date | None = None):
    """The plan's live visits from ``start`` that have not started, locked, by date."""
    stmt = (
        select(Booking)
        .where(
            Booking.plan_id == plan_id,
            Booking.occurrence_date >= start,
            Booking.status.in_(visits.LIVE),
            Booking.starts_at > now,
        )
        .order_by(Booking.occurrence_date)
        .with_for_update()
    )
    if end is not None:
        stmt = stmt.where(Booking.occurrence_date < end)
    return list(tx.scalars(stmt))


def _notify(tx, plan: ServicePlan, change: str, now: datetime) -> None:
    tx.flush()
    notifications.plan_changed(tx, plan, change, service.upcoming(plan, now, 4), now)


def _price(plan: ServicePlan, request: dict, reprice: bool) -> dict:
    """The frozen estimate for ``request``: the current config when repricing, else the plan's."""
    if reprice:
        return service.frozen_estimate(request, plan.frequency)
    row = db.session().scalar(
        select(PricingConfig).where(PricingConfig.version == plan.pricing_config_version)
    )
    request = {**request, "frequency": plan.frequency}
    snapshot = PricingSnapshot(row.id, row.version, row.config_hash, row.config)
    priced = estimate(EstimateRequest.from_dict(request), snapshot).as_dict()
    return {"request": service._jsonable(request), "estimate": priced}


def _recrew(tx, plan: ServicePlan, booking: Booking) -> None:
    """The plan's (new) crew on a visit updated in place, without workers busy at its time."""
    tx.execute(delete(BookingWorker).where(BookingWorker.booking_id == booking.id))
    busy = visits.busy_workers(
        tx, plan.worker_ids, booking.starts_at, booking.ends_at, exclude=booking.id
    )
    tx.add_all(visits.crew_rows(plan, booking, busy))


def update_plan(plan_id: int, data: dict, now: datetime | None = None) -> ServicePlan:
    """Change the plan from ``effective_from``; regenerate the untouched visits from that date.

    Visits on or after ``effective_from`` that are live, not started and not detached are updated
    in place when their date still belongs to the rule, else CANCELLED (``plan_changed``);
    skipped, done and detached visits are left alone. Then the new dates are materialised.
    """
    now = now or _now()
    effective = data["effective_from"]
    with db.transaction() as tx:
        service.check_refs(tx, data)
        plan = _locked(tx, plan_id)
        _require(plan, "ACTIVE", "PAUSED", action="changed")
        _not_before_today("effective_from", effective, plan, now)
        before = service.summary(plan)
        rule = visits.plan_rule(plan).with_change(
            effective, data.get("frequency"), data.get("start_time")
        )
        plan.segments = [s.as_dict() for s in rule.segments]
        plan.frequency, plan.start_time = rule.current.frequency, rule.current.start_time
        plan.rrule = rule.current.rrule
        if "team_id" in data:
            plan.team_id = data["team_id"]
        if "worker_ids" in data:
            plan.worker_ids = list(data["worker_ids"] or [])
        repriced = data.get("reprice") or "estimate_request" in data or "frequency" in data
        if repriced:
            frozen = _price(
                plan,
                data.get("estimate_request") or plan.estimate_request,
                bool(data.get("reprice")),
            )
            service.apply_estimate(plan, frozen)
            plan.duration_minutes = service._minutes(frozen)
        rule = visits.plan_rule(plan)
        for booking in _future_visits(tx, plan.id, effective, now):
            if booking.detached:
                continue
            if rule.belongs(booking.occurrence_date) and not visits.in_pause(
                plan, booking.occurrence_date
            ):
                booking.total_cents = booking.estimate_total_cents = plan.total_before_tax_cents
                booking.service_type = plan.service_type
                visits.place_visit(tx, plan, booking, rule.occurrence(booking.occurrence_date), now)
                if plan.worker_ids or "worker_ids" in data:
                    _recrew(tx, plan, booking)
                signals.booking_changed(tx, booking)  # its reminder moves with it
            else:
                _cancel_visit(tx, booking, "plan_changed", now)
        tx.flush()
        visits.materialise_locked(tx, plan, now)
        record(tx, "plan.update", "plan", plan.id, before, service.summary(plan))
        _notify(tx, plan, "changed", now)
    return plan


def pause(
    plan_id: int, start: date, until: date | None, now: datetime | None = None
) -> ServicePlan:
    """Pause ``[start, until)`` (open-ended without ``until``): cancel those visits, create none."""
    now = now or _now()
    if until is not None and until <= start:
        raise field_error("until", "until must be after from")
    with db.transaction() as tx:
        plan = _locked(tx, plan_id)
        _require(plan, "ACTIVE", "PAUSED", action="paused")
        _not_before_today("from", start, plan, now)
        _pause_locked(tx, plan, start, until, now)
    return plan


def _pause_locked(tx, plan: ServicePlan, start: date, until: date | None, now: datetime) -> None:
    before = service.summary(plan)
    plan.status, plan.paused_from, plan.paused_until = "PAUSED", start, until
    for booking in _future_visits(tx, plan.id, start, now, until):
        _cancel_visit(tx, booking, "plan_paused", now)
    tx.flush()
    visits.materialise_locked(tx, plan, now)
    record(tx, "plan.pause", "plan", plan.id, before, service.summary(plan))
    _notify(tx, plan, "paused", now)


def resume(plan_id: int, now: datetime | None = None) -> ServicePlan:
    """PAUSED → ACTIVE: the paused dates within the horizon are materialised again at once."""
    now = now or _now()
    with db.transaction() as tx:
        plan = _locked(tx, plan_id)
        _require(plan, "PAUSED", action="resumed")
        before = service.summary(plan)
        plan.status, plan.paused_from, plan.paused_until = "ACTIVE", None, None
        visits.materialise_locked(tx, plan, now)
        record(tx, "plan.resume", "plan", plan.id, before, service.summary(plan))
        _notify(tx, plan, "resumed", now)
    return plan


def cancel(
    plan_id: int, effective_on: date, reason: str, now: datetime | None = None
) -> ServicePlan:
    """ACTIVE/PAUSED → CANCELLED: every visit on or after ``effective_on`` is cancelled."""
    now = now or _now()
    with db.transaction() as tx:
        plan = _locked(tx, plan_id)
        _require(plan, "ACTIVE", "PAUSED", action="cancelled")
        _not_before_today("effective_on", effective_on, plan, now)
        before = service.summary(plan)
        visits.materialise_locked(tx, plan, now)  # the visits before effective_on still happen
        plan.status, plan.cancelled_on, plan.cancel_reason = "CANCELLED", effective_on, reason
        for booking in _future_visits(tx, plan.id, effective_on, now):
            _cancel_visit(tx, booking, "plan_cancelled", now)
        record(tx, "plan.cancel", "plan", plan.id, before, service.summary(plan))
        _notify(tx, plan, "cancelled", now)
    return plan


def skip(booking_id: int, reason: str | None, *, by: str, now: datetime | None = None) -> Booking:
    """One visit of a plan → SKIPPED (terminal; never regenerated, invoiced or counted).

    The customer may skip until 48 h before the visit (else 409 ``too_late``); staff until it
    starts."""
    now = now or _now()
    with db.transaction() as tx:
        plan_id = tx.scalar(select(Booking.plan_id).where(Booking.id == booking_id))
        booking = tx.get(Booking, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        if plan_id is None:
            raise Conflict("Only a visit of a recurring plan can be skipped; cancel it instead.")
        plan = _locked(tx, plan_id)  # plan before visit: the order every plan change locks in
        booking = tx.get(Booking, booking_id, with_for_update=True, populate_existing=True)
        if booking.status not in visits.LIVE:
            raise Conflict(
                f"A {booking.status} visit cannot be skipped.", code="invalid_transition"
            )
        if booking.starts_at <= now:
            raise Conflict("This visit has already started.", code="too_late")
        if by == "customer" and booking.starts_at - now < SKIP_NOTICE:
            raise Conflict(
                "Visits can be skipped online until 48 hours before they start; please contact us.",
                code="too_late",
            )
        before = {"status": booking.status}
        visits.release_visit(tx, booking, now)
        booking.status, booking.skipped_at = "SKIPPED", now
        booking.cancelled_by, booking.cancel_reason = by, reason
        if booking.deposit_status == "pending":
            booking.deposit_status = "expired"
        tx.flush()
        visits.materialise_locked(tx, plan, now)  # a skipped visit does not count to max_visits
        record(tx, "booking.skip", "booking", booking.id, before, {"status": "SKIPPED", "by": by})
    return booking


def customer_pause(plan_id: int, weeks: int, now: datetime | None = None) -> ServicePlan:
    """The customer pauses ``weeks`` (1..8) from their next visit, until 48 h before it."""
    now = now or _now()
    with db.transaction() as tx:
        plan = _locked(tx, plan_id)
        _require(plan, "ACTIVE", action="paused")
        nxt = tx.scalar(
            select(Booking)
            .where(
                Booking.plan_id == plan.id,
                Booking.status.in_(visits.LIVE),
                Booking.starts_at > now,
            )
            .order_by(Booking.starts_at)
            .limit(1)
        )
        if nxt is not None:
            if nxt.starts_at - now < SKIP_NOTICE:
                raise Conflict(
                    "Your next visit is less than 48 hours away; please contact us to pause.",
                    code="too_late",
                )
            start = nxt.occurrence_date
        else:
            start = _today(plan, now)
        _pause_locked(tx, plan, start, start + timedelta(weeks=weeks), now)
    return plan


def request_cancellation(
    plan_id: int, reason: str | None = None, now: datetime | None = None
) -> ServicePlan:
    """The customer asks to end their plan (the signed plan link, the account page): SPEC §5.10
    "cancelling the plan sends the tenant a request". Nothing is cancelled: the request is
    stored on the plan (``cancel_requested_at``, ``cancel_request_reason``), audited, and staff
    are e-mailed; staff then cancel (``POST /admin/plans/{id}/cancel``) or keep the plan.

    409 ``invalid_transition`` for a CANCELLED or ENDED plan. A second request while one is
    open changes nothing and sends nothing (a double click, a retried request)."""
    now = now or _now()
    with db.transaction() as tx:
        plan = _locked(tx, plan_id)
        _require(plan, "ACTIVE", "PAUSED", action="cancelled")
        if plan.cancel_requested_at is not None:
            return plan
        plan.cancel_requested_at = now
        plan.cancel_request_reason = (reason or "").strip()[:500] or None
        tx.flush()
        record(
            tx,
            "plan.cancel_request",
            "plan",
            plan.id,
            None,
            {"reason": plan.cancel_request_reason, "by": "customer"},
        )
        to = staff_alert_address(tx)
        if to:
            upcoming = service.upcoming(plan, count=1)
            admin_url = f"{site_url()}/v1/admin/plans/{plan.id}"
            notifications.cancel_requested(
                tx, plan, to, upcoming[0] if upcoming else None, admin_url
            )
    return plan
