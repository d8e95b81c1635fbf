"""Plans: creation, reading, the computed schedule and the conflicts list (SPEC §5.10).

Changes (patch, pause, resume, cancel, skip) are ``tenantapp.plans.changes``; materialisation is
``tenantapp.plans.visits``; the rule itself is the pure ``tenantapp.plans.rules``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared import db
from shared.errors import NotFound, ValidationFailed, field_error
from shared.pagination import decode_cursor, page
from tenantapp.audit.service import record
from tenantapp.bookings import links as booking_links
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.plans import visits
from tenantapp.plans.models import ServicePlan
from tenantapp.plans.rules import PlanRule, check_preview_range
from tenantapp.pricing.estimator import duration_minutes
from tenantapp.pricing.service import estimate_now
from tenantapp.settings.models import TenantSettings
from tenantapp.teams.models import Team
from tenantapp.workers.models import Worker

UPCOMING = 10


def _now() -> datetime:
    return datetime.now(UTC)


def tenant_zone(sess) -> ZoneInfo:
    return ZoneInfo(sess.get(TenantSettings, 1).time_zone)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return float(value)
    return value


def frozen_estimate(request: dict, frequency: str) -> dict:
    """Price the plan's visits now: the request with the plan's frequency (recurring discount)."""
    request = {**request, "frequency": frequency}
    try:
        priced = estimate_now(request).as_dict()
    except ValidationFailed as exc:  # the estimator names fields relative to its own request
        raise ValidationFailed(
            [{**e, "field": f"estimate_request.{e['field']}"} for e in exc.extra["errors"]]
        ) from exc
    return {"request": _jsonable(request), "estimate": priced}


def apply_estimate(plan: ServicePlan, frozen: dict) -> None:
    est = frozen["estimate"]
    plan.estimate_request, plan.estimate = frozen["request"], est
    plan.service_type = frozen["request"].get("service_type", "standard")
    plan.pricing_config_version = int(est["pricing_config_version"])
    plan.config_hash = est["config_hash"]
    plan.total_before_tax_cents = int(est["total_before_tax_cents"])


def check_refs(tx, data: dict) -> None:
    """Every reference problem at once: customer, team, workers (422 on their fields)."""
    errors = []
    if "customer_id" in data and tx.get(Customer, data["customer_id"]) is None:
        errors.append({"field": "customer_id", "message": "No such customer."})
    if data.get("property_id") is not None:
        prop = tx.get(Property, data["property_id"])
        if prop is None or prop.customer_id != data.get("customer_id") or prop.archived_at:
            errors.append(
                {"field": "property_id", "message": "No such active property of this customer."}
            )
    team_id = data.get("team_id")
    if team_id is not None:
        team = tx.get(Team, team_id)
        if team is None or not team.active:
            errors.append({"field": "team_id", "message": "No such active team."})
    for i, worker_id in enumerate(data.get("worker_ids") or []):
        worker = tx.get(Worker, worker_id)
        if worker is None or not worker.active:
            errors.append({"field": f"worker_ids.{i}", "message": "No such active worker."})
    if errors:
        raise ValidationFailed(errors)


def _property_home(property_id: int | None) -> dict | None:
    """The property's home details (an ``/estimate`` request), the default for a plan's price."""
    if property_id is None:
        return None
    prop = db.session().get(Property, property_id)
    return dict(prop.home) if prop is not None and prop.home else None


def check_first_date(first: date, zone: ZoneInfo, now: datetime) -> None:
    if first < now.astimezone(zone).date():
        raise field_error("first_date", "first_date is before today")


def create_plan(
    data: dict, *, lead_id: int | None = None, now: datetime | None = None
) -> ServicePlan:
    """Create an ACTIVE plan priced now, audited, with its visits up to the horizon."""
    now = now or _now()
    sess = db.session()
    zone = tenant_zone(sess)
    check_first_date(data["first_date"], zone, now)
    ends_on = data.get("ends_on")
    if ends_on is not None and ends_on < data["first_date"]:
        raise field_error("ends_on", "ends_on is before first_date")
    request = data.get("estimate_request") or _property_home(data.get("property_id"))
    if not request:
        raise field_error(
            "estimate_request", "estimate_request is required (the property has no home details)"
        )
    frozen = frozen_estimate(request, data["frequency"])
    with db.transaction() as tx:
        check_refs(tx, data)
        rule = PlanRule.new(
            data["frequency"],
            data["first_date"],
            data["start_time"],
            zone,
            _minutes(frozen),
            ends_on,
        )
        plan = ServicePlan(
            customer_id=data["customer_id"],
            property_id=data.get("property_id"),
            lead_id=lead_id,
            status="ACTIVE",
            frequency=data["frequency"],
            rrule=rule.current.rrule,
            segments=[s.as_dict() for s in rule.segments],
            time_zone=zone.key,
            first_date=data["first_date"],
            start_time=data["start_time"],
            duration_minutes=rule.duration_minutes,
            team_id=data.get("team_id"),
            worker_ids=list(data.get("worker_ids") or []),
            ends_on=ends_on,
            max_visits=data.get("max_visits"),
            notes=data.get("notes"),
        )
        apply_estimate(plan, frozen)
        tx.add(plan)
        tx.flush()
        visits.materialise_locked(tx, plan, now)
        record(tx, "plan.create", "plan", plan.id, None, summary(plan))
    return plan


RECURRING = ("weekly", "biweekly", "monthly")


def anchor_if_recurring(tx, booking: Booking, lead, zone: ZoneInfo, now: datetime) -> None:
    """``create_booking``'s hook: a lead estimated weekly/biweekly/monthly is booked as a plan."""
    if lead.estimate_request.get("frequency", "one_time") in RECURRING:
        anchor_plan(tx, booking, lead, zone, now)


def anchor_plan(tx, booking: Booking, lead, zone: ZoneInfo, now: datetime) -> ServicePlan:
    """The public flow: a lead estimated weekly/biweekly/monthly booked through ``POST /bookings``
    gets a plan anchored on that booking — its date, local start and team — priced by the
    lead's stored estimate (the recurring discount it was sold). The booking becomes the plan's
    first visit (its deposit rules are the booking's); later visits take no deposit."""
    local = booking.starts_at.astimezone(zone)
    frequency = lead.estimate_request["frequency"]
    rule = PlanRule.new(
        frequency, local.date(), local.time().replace(tzinfo=None), zone, booking.duration_minutes
    )
    plan = ServicePlan(
        customer_id=booking.customer_id,
        property_id=booking.property_id,
        lead_id=lead.id,
        status="ACTIVE",
        frequency=frequency,
        rrule=rule.current.rrule,
        segments=[s.as_dict() for s in rule.segments],
        time_zone=zone.key,
        first_date=local.date(),
        start_time=rule.current.start_time,
        duration_minutes=booking.duration_minutes,
        team_id=booking.team_id,
        worker_ids=[],
    )
    apply_estimate(plan, {"request": lead.estimate_request, "estimate": lead.estimate})
    tx.add(plan)
    tx.flush()
    booking.plan_id, booking.occurrence_date = plan.id, local.date()
    tx.flush()
    visits.materialise_locked(tx, plan, now)
    record(tx, "plan.create", "plan", plan.id, None, {**summary(plan), "booking_id": booking.id})
    return plan


def _minutes(frozen: dict) -> int:
    est = frozen["estimate"]
    return duration_minutes(
        est["time_on_site_hours"], frozen["request"].get("service_type", "standard")
    )


def summary(plan: ServicePlan) -> dict:
    """The audited fields of a plan."""
    return {
        "status": plan.status,
        "frequency": plan.frequency,
        "rrule": plan.rrule,
        "start_time": plan.start_time.strftime("%H:%M"),
        "team_id": plan.team_id,
        "worker_ids": plan.worker_ids,
        "total_before_tax_cents": plan.total_before_tax_cents,
        "ends_on": plan.ends_on,
        "max_visits": plan.max_visits,
        "paused_from": plan.paused_from,
        "paused_until": plan.paused_until,
        "cancelled_on": plan.cancelled_on,
    }


def get(plan_id: int) -> ServicePlan:
    plan = db.session().get(ServicePlan, plan_id)
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def list_plans(args: dict) -> dict:
    """Plans by id, filtered by status and customer, one page."""
    stmt = select(ServicePlan).order_by(ServicePlan.id).limit(args["limit"] + 1)
    if args.get("status"):
        stmt = stmt.where(ServicePlan.status == args["status"])
    if args.get("customer_id") is not None:
        stmt = stmt.where(ServicePlan.customer_id == args["customer_id"])
    after = decode_cursor(args.get("cursor"), int)
    if after:
        stmt = stmt.where(ServicePlan.id > after[0])
    rows = list(db.session().scalars(stmt))
    return page(rows, args["limit"], lambda p: [p.id])


def _state(plan: ServicePlan, booking: Booking | None, day: date, rule: PlanRule) -> str:
    if booking is None:
        return "paused" if visits.in_pause(plan, day) else "planned"
    if booking.status == "SKIPPED":
        return "skipped"
    if booking.status == "DONE":
        return "done"
    if booking.status == "CANCELLED":
        return "paused" if booking.cancel_reason == "plan_paused" else "cancelled"
    if booking.team_id is None:
        return "conflict"
    if booking.detached and booking.starts_at != rule.occurrence(day).starts_at:
        return "moved"
    return "booked"


def schedule(plan: ServicePlan, start: date, end: date) -> list[dict]:
    """Every date the rule gives in ``[start, end)`` with its state — computed, not stored.

    Dates of the plan's bookings outside the current rule (a visit kept from before a change)
    are listed too, so the schedule shows what the customer will actually get.
    """
    problem = check_preview_range(start, end)
    if problem:
        raise field_error("to", problem)
    rule = visits.plan_rule(plan)
    zone = rule.zone
    booked = {
        b.occurrence_date: b
        for b in db.session().scalars(
            select(Booking).where(
                Booking.plan_id == plan.id,
                Booking.occurrence_date >= start,
                Booking.occurrence_date < end,
            )
        )
    }
    days = set(rule.dates(start, end)) | set(booked)
    if plan.status in ("CANCELLED", "ENDED"):
        days = set(booked)
    out = []
    for day in sorted(days):
        booking = booked.get(day)
        occ = rule.occurrence(day)
        starts_at, ends_at = (
            (booking.starts_at, booking.ends_at) if booking else (occ.starts_at, occ.ends_at)
        )
        out.append(
            {
                "date": day,
                "starts_at": starts_at,
                "starts_at_local": starts_at.astimezone(zone),
                "ends_at": ends_at,
                "state": _state(plan, booking, day, rule),
                "booking_id": booking.id if booking else None,
                "flags": list(booking.flags) if booking else list(occ.flags),
                "conflict_reason": booking.conflict_reason if booking else None,
            }
        )
    return out


def upcoming(plan: ServicePlan, now: datetime | None = None, count: int = UPCOMING) -> list[dict]:
    """The next ``count`` visits from today that will happen (planned, booked, moved, conflict)."""
    now = now or _now()
    today = now.astimezone(ZoneInfo(plan.time_zone)).date()
    out: list[dict] = []
    start = today
    for _ in range(8):  # 8 × 400 days is far beyond any plan's next ten visits
        items = schedule(plan, start, start + timedelta(days=400))
        out.extend(i for i in items if i["state"] in ("planned", "booked", "moved", "conflict"))
        if len(out) >= count or plan.status in ("CANCELLED", "ENDED") or not items:
            break
        start += timedelta(days=400)
    return out[:count]


def customer_view(plan: ServicePlan) -> dict:
    """The plan as its customer sees it through the signed link: each booked visit carries its
    own signed link (``manage_url``), whose token skips it (``POST /bookings/{id}/skip``)."""
    out = view(plan)
    for item in out["upcoming"]:
        if item["booking_id"] is not None:
            item["manage_url"] = booking_links.manage_url(item["booking_id"])
    return out


def view(plan: ServicePlan) -> dict:
    """The SPEC §5.10 plan response."""
    return {
        "id": plan.id,
        "status": plan.status,
        "customer_id": plan.customer_id,
        "property_id": plan.property_id,
        "lead_id": plan.lead_id,
        "frequency": plan.frequency,
        "rrule": plan.rrule,
        "time_zone": plan.time_zone,
        "first_date": plan.first_date,
        "start_time": plan.start_time.strftime("%H:%M"),
        "duration_minutes": plan.duration_minutes,
        "team_id": plan.team_id,
        "worker_ids": plan.worker_ids,
        "ends_on": plan.ends_on,
        "max_visits": plan.max_visits,
        "notes": plan.notes,
        "paused_from": plan.paused_from,
        "paused_until": plan.paused_until,
        "cancelled_on": plan.cancelled_on,
        "cancel_requested_at": plan.cancel_requested_at,
        "cancel_request_reason": plan.cancel_request_reason,
        "price": {
            "total_before_tax_cents": plan.total_before_tax_cents,
            "pricing_config_version": plan.pricing_config_version,
            "config_hash": plan.config_hash,
            "estimate_request": plan.estimate_request,
        },
        "upcoming": upcoming(plan),
    }


def conflicts(start: date | None, end: date | None, zone: ZoneInfo) -> list[dict]:
    """Live plan visits that need a person (no team), by start."""
    stmt = (
        select(Booking)
        .where(
            Booking.plan_id.isnot(None),
            Booking.team_id.is_(None),
            Booking.status.in_(visits.LIVE),
        )
        .order_by(Booking.starts_at, Booking.id)
        .limit(1000)
    )
    if start is not None:
        stmt = stmt.where(Booking.starts_at >= datetime.combine(start, time.min, tzinfo=zone))
    if end is not None:
        stmt = stmt.where(Booking.starts_at < datetime.combine(end, time.min, tzinfo=zone))
    return [
        {
            "booking_id": b.id,
            "plan_id": b.plan_id,
            "occurrence_date": b.occurrence_date,
            "customer_id": b.customer_id,
            "starts_at": b.starts_at,
            "starts_at_local": b.starts_at.astimezone(zone),
            "ends_at": b.ends_at,
            "reason": b.conflict_reason,
            "flags": list(b.flags),
        }
        for b in db.session().scalars(stmt)
    ]
