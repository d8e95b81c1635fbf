"""Materialisation: a plan's visits become real bookings up to today + the horizon (SPEC §5.10).

One plan is materialised in one transaction holding its row lock (``FOR UPDATE``), so two runs of
the horizon job — in sequence, at once, or a retry after a worker died — create nothing twice:
the second waits, then finds the dates taken (and ``UNIQUE (plan_id, occurrence_date)`` backs the
lock). Each visit:

- takes a team under the per-team day lock (all of that day's teams, in id order, in one
  statement — the order ``availability.take_slot`` uses, so the two never deadlock): the plan's
  team when free (bookings with their 30-minute buffers, blackouts, working hours), else the first
  other free team (flag ``team_changed``), else no team: PENDING with a ``conflict_reason``;
- consumes ``bookings_created`` in the period of its start (key ``plan:<tenant>:<plan>:<date>``,
  in a savepoint): over the limit the visit is a conflict (``limit_reached``), never a failure;
- is CONFIRMED without a deposit (conflicts are PENDING), and signals its 24-hour reminder.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from jobs import signals
from shared import db
from shared.errors import LimitReached
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.bookings import allowance, policy
from tenantapp.bookings.availability import read_day
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.bookings.service import redeem_credits as apply_credits
from tenantapp.bookings.slots import TeamDay, is_free, window_bounds
from tenantapp.customers.models import ReferralCredit
from tenantapp.invoices.models import Invoice
from tenantapp.plans.models import ServicePlan
from tenantapp.plans.rules import Occurrence, PlanRule, Segment
from tenantapp.teams.models import Team

TEAM_CHANGED = "team_changed"
CREW_CHANGED = "crew_changed"
LIVE = ("PENDING", "CONFIRMED")


def horizon_days() -> int:
    return current_runtime().settings.recurring_horizon_days


def horizon_end(zone: ZoneInfo, now: datetime) -> date:
    """The last date materialised: today (in ``zone``) + ``RECURRING_HORIZON_DAYS``, inclusive."""
    return now.astimezone(zone).date() + timedelta(days=horizon_days())


def plan_rule(plan: ServicePlan) -> PlanRule:
    return PlanRule(
        tuple(Segment.from_dict(s) for s in plan.segments),
        ZoneInfo(plan.time_zone),
        plan.duration_minutes,
        plan.ends_on,
    )


def redeem_credits(tx, plans: list[ServicePlan]) -> None:
    """Referral credits (SPEC §5.10): a plan customer's unredeemed credits go on the earliest
    live visit of their plans that is not invoiced yet and still has something to pay. One read
    finds the customers holding credits (rare), then one visit each. Runs after every
    materialisation (create, change, the daily job), so a credit earned later is used on the
    next visit."""
    by_customer: dict[int, list[int]] = {}
    for plan in plans:
        by_customer.setdefault(plan.customer_id, []).append(plan.id)
    if not by_customer:
        return
    holders = tx.scalars(
        select(ReferralCredit.customer_id)
        .where(
            ReferralCredit.customer_id.in_(list(by_customer)),
            ReferralCredit.redeemed_at.is_(None),
        )
        .distinct()
    ).all()
    for customer_id in holders:
        invoiced = (
            select(Invoice.id)
            .where(Invoice.booking_id == Booking.id, Invoice.status != "VOID")
            .exists()
        )
        visit = tx.scalar(
            select(Booking)
            .where(
                Booking.plan_id.in_(by_customer[customer_id]),
                Booking.status.in_(LIVE),
                Booking.total_cents > 0,
                ~invoiced,
            )
            .order_by(Booking.starts_at, Booking.id)
            .limit(1)
            .with_for_update()
        )
        if visit is None:
            continue
        credit = apply_credits(tx, customer_id, visit.total_cents, visit.id)
        visit.credit_applied_cents = (visit.credit_applied_cents or 0) + credit
        visit.total_cents -= credit


def release_visit(tx, booking: Booking, now: datetime) -> None:
    """Give a plan visit's unit back when it has not started (cancelled or skipped); idempotent."""
    if allowance.gives_unit_back(booking, now):
        allowance.release_booking(tx, booking)


def in_pause(plan: ServicePlan, day: date) -> bool:
    if plan.paused_from is None or day < plan.paused_from:
        return False
    return plan.paused_until is None or day < plan.paused_until


def _lock_teams(tx, team_ids: list[int], day: date) -> None:
    """The per-team slot locks of ``day`` (``availability.lock_day``'s keys, in its team order)
    in one statement: a set-returning ``unnest`` takes them one after the other."""
    if not team_ids:
        return
    schema = current_tenant().schema_name
    keys = [f"slot:{schema}:{t}:{day.isoformat()}" for t in sorted(team_ids)]
    key = func.unnest(bindparam("keys", keys, type_=ARRAY(Text)))
    tx.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0)))).all()


def _team_ids(tx) -> list[int]:
    return list(tx.scalars(select(Team.id).where(Team.active.is_(True)).order_by(Team.id)))


def _why_not(team: TeamDay | None, occ: Occurrence, day: date, zone: ZoneInfo) -> str:
    """Why ``team`` cannot take the visit: outside its hours, a blackout, or it is busy."""
    if team is None or team.window is None:
        return "outside_hours"
    start, end = window_bounds(day, team.window, zone)
    if occ.starts_at < start or occ.ends_at > end:
        return "outside_hours"
    if any(occ.starts_at < e and occ.ends_at > s for s, e in team.blackouts):
        return "blackout"
    return "no_team_free"


def pick_team(
    teams: list[TeamDay], occ: Occurrence, preferred: int | None, day: date, zone: ZoneInfo
) -> tuple[int | None, list[str], str | None]:
    """The team for a visit → ``(team_id, flags, conflict_reason)`` (pure; teams by id)."""
    minutes = int((occ.ends_at - occ.starts_at).total_seconds() // 60)
    by_id = {t.team_id: t for t in teams}
    first = by_id.get(preferred) if preferred is not None else None
    if first is not None and is_free(first, occ.starts_at, minutes, day, zone):
        return first.team_id, [], None
    for team in teams:
        if team.team_id != preferred and is_free(team, occ.starts_at, minutes, day, zone):
            return team.team_id, ([TEAM_CHANGED] if preferred is not None else []), None
    judged = first if preferred is not None else (teams[0] if teams else None)
    return None, [], _why_not(judged, occ, day, zone)


def locked_day(tx, day: date, exclude: int | None = None, team_ids=None) -> list[TeamDay]:
    """Take ``day``'s team locks and read its teams' calendars under them (by team id)."""
    _lock_teams(tx, _team_ids(tx) if team_ids is None else team_ids, day)
    return sorted(read_day(day, exclude)[2], key=lambda t: t.team_id)


def choose_team(
    tx, occ: Occurrence, preferred: int | None, zone: ZoneInfo, exclude: int | None = None
) -> tuple[int | None, list[str], str | None]:
    """Lock the visit's day and pick a team → ``(team_id, flags, conflict_reason)``."""
    day = occ.starts_at.astimezone(zone).date()
    return pick_team(locked_day(tx, day, exclude), occ, preferred, day, zone)


def _count(tx, booking: Booking, now: datetime) -> bool:
    """Consume the visit's unit in a savepoint; False when the plan's limit is reached."""
    try:
        with tx.begin_nested():
            allowance.count_plan_visit(tx, booking, now)
    except LimitReached:
        return False
    return True


def settle(
    booking: Booking,
    occ: Occurrence,
    team: tuple[int | None, list[str], str | None],
    counted: bool,
    now: datetime,
) -> None:
    """Give ``booking`` its team (or conflict) and status: CONFIRMED with a team and its unit,
    else PENDING without a team (``conflict_reason``; ``limit_reached`` when not counted)."""
    team_id, flags, reason = team
    booking.team_id, booking.conflict_reason = team_id, reason
    booking.flags = [*occ.flags, *flags]
    if team_id is not None and not counted:
        booking.team_id, booking.conflict_reason, booking.flags = (
            None,
            "limit_reached",
            list(occ.flags),
        )
    if booking.team_id is None:
        booking.status, booking.confirmed_at = "PENDING", None
    else:
        booking.status = "CONFIRMED"
        booking.confirmed_at = booking.confirmed_at or now


def place_visit(tx, plan: ServicePlan, booking: Booking, occ: Occurrence, now: datetime) -> None:
    """Give ``booking`` the occurrence's time, a team (or a conflict) and its allowance unit."""
    zone = ZoneInfo(plan.time_zone)
    booking.starts_at, booking.ends_at = occ.starts_at, occ.ends_at
    booking.duration_minutes = plan.duration_minutes
    team = choose_team(tx, occ, plan.team_id, zone, exclude=booking.id)
    counted = team[0] is not None and _count(tx, booking, now)
    settle(booking, occ, team, counted, now)


def visit_row(plan: ServicePlan, occ: Occurrence) -> Booking:
    """A new visit of ``occ``, not yet placed (no team, PENDING)."""
    return Booking(
        lead_id=plan.lead_id,
        customer_id=plan.customer_id,
        property_id=plan.property_id,
        estimate_request=plan.estimate_request,
        estimate=plan.estimate,
        status="PENDING",
        service_type=plan.service_type,
        starts_at=occ.starts_at,
        ends_at=occ.ends_at,
        duration_minutes=plan.duration_minutes,
        estimate_total_cents=plan.total_before_tax_cents,
        total_cents=plan.total_before_tax_cents,
        risk_score=0,
        risk_band="LOW",
        policy_snapshot={
            "deposit": {"required": False, "reasons": [], "plan_visit": True},
            "cancellation": policy.cancellation_windows(plan.service_type),
            "service_type": plan.service_type,
        },
        plan_id=plan.id,
        occurrence_date=occ.date,
        flags=list(occ.flags),
    )


def busy_workers(tx, worker_ids, start: datetime, end: datetime, exclude=None) -> set[int]:
    """Which of ``worker_ids`` are in a live booking overlapping ``[start, end)``."""
    if not worker_ids:
        return set()
    stmt = (
        select(BookingWorker.worker_id)
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(
            BookingWorker.worker_id.in_(list(worker_ids)),
            Booking.status.in_(LIVE),
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
    )
    if exclude is not None:
        stmt = stmt.where(Booking.id != exclude)
    return set(tx.scalars(stmt))


def crew_rows(plan: ServicePlan, booking: Booking, busy: set[int]) -> list[BookingWorker]:
    """The plan's crew on a placed visit, without workers busy then (flag ``crew_changed``):
    a worker is never in two overlapping bookings."""
    if booking.team_id is None or not plan.worker_ids:
        return []
    free = [w for w in plan.worker_ids if w not in busy]
    if len(free) < len(plan.worker_ids):
        booking.flags = [*booking.flags, CREW_CHANGED]
    return [BookingWorker(booking_id=booking.id, worker_id=w) for w in free]


def new_visit(tx, plan: ServicePlan, occ: Occurrence, now: datetime) -> Booking:
    """Add the visit of ``occ`` (CONFIRMED with a team, or PENDING in conflict) with its crew."""
    booking = visit_row(plan, occ)
    place_visit(tx, plan, booking, occ, now)
    tx.add(booking)
    tx.flush()
    busy = busy_workers(tx, plan.worker_ids, occ.starts_at, occ.ends_at, exclude=booking.id)
    tx.add_all(crew_rows(plan, booking, busy))
    signals.booking_changed(tx, booking)  # its 24-hour reminder
    return booking


def counted_visits(tx, plan_id: int) -> int:
    """Visits that count toward ``max_visits``: every visit not skipped nor cancelled."""
    return tx.scalar(
        select(func.count()).where(
            Booking.plan_id == plan_id, Booking.status.in_(("PENDING", "CONFIRMED", "DONE"))
        )
    )


def counted_by_plan(tx, plan_ids: list[int]) -> dict[int, int]:
    """``counted_visits`` of several plans in one query."""
    rows = tx.execute(
        select(Booking.plan_id, func.count())
        .where(Booking.plan_id.in_(plan_ids), Booking.status.in_(("PENDING", "CONFIRMED", "DONE")))
        .group_by(Booking.plan_id)
    ).all()
    return {plan_id: n for plan_id, n in rows}


def locked_plan(tx, plan_id: int) -> ServicePlan | None:
    return tx.get(ServicePlan, plan_id, with_for_update=True, populate_existing=True)


SYSTEM_REASONS = ("plan_paused", "plan_changed")


def revivable(booking: Booking) -> bool:
    """A visit the plan itself cancelled (pause, change) comes back when its date does."""
    return (
        booking.status == "CANCELLED"
        and booking.cancelled_by == "system"
        and booking.cancel_reason in SYSTEM_REASONS
    )


def new_life(plan: ServicePlan, booking: Booking) -> None:
    """Reset a plan-cancelled visit for its date again (its unit was given back: a new life)."""
    snapshot = dict(booking.policy_snapshot or {})
    snapshot.pop("usage_key", None)
    snapshot["life"] = int(snapshot.get("life", 0)) + 1
    booking.policy_snapshot = snapshot
    booking.cancelled_at = booking.cancelled_by = booking.cancel_reason = None
    booking.total_cents = booking.estimate_total_cents = plan.total_before_tax_cents
    booking.service_type = plan.service_type


def revive(tx, plan: ServicePlan, booking: Booking, occ: Occurrence, now: datetime) -> Booking:
    """Bring a plan-cancelled visit back for its date and place it."""
    new_life(plan, booking)
    place_visit(tx, plan, booking, occ, now)
    tx.flush()
    signals.booking_changed(tx, booking)
    return booking


def window(plan: ServicePlan, now: datetime) -> tuple[date, date] | None:
    """The dates ``[start, through]`` the plan materialises at ``now`` (None: nothing)."""
    live = plan.status in ("ACTIVE", "PAUSED")
    cancelling = plan.status == "CANCELLED" and plan.cancelled_on is not None
    if not (live or cancelling):
        return None
    zone = ZoneInfo(plan.time_zone)
    through = horizon_end(zone, now)
    if cancelling:
        through = min(through, plan.cancelled_on - timedelta(days=1))
    return max(now.astimezone(zone).date(), plan.first_date), through


def due(
    plan: ServicePlan, existing: dict[date, Booking], counted: int, now: datetime
) -> list[tuple[Occurrence, Booking | None]]:
    """The visits to create (``None``) or revive (the booking) now, in date order.

    ``existing``: the plan's bookings by date from the window's start; ``counted``: its visits
    that count toward ``max_visits``. Dates taken by a booking (skipped, moved, done, cancelled
    one by one) are never regenerated; visits the plan cancelled itself come back; paused dates
    and dates after ``ends_on`` or a cancellation's ``effective_on`` are not created.
    """
    span = window(plan, now)
    if span is None:
        return []
    out: list[tuple[Occurrence, Booking | None]] = []
    for occ in plan_rule(plan).occurrences(span[0], span[1] + timedelta(days=1)):
        if plan.max_visits and counted >= plan.max_visits:
            break
        item = _due_one(plan, occ, existing, now)
        if item is not None:
            out.append(item)
            counted += 1
    return out


def _due_one(
    plan: ServicePlan, occ: Occurrence, existing: dict[date, Booking], now: datetime
) -> tuple[Occurrence, Booking | None] | None:
    """``(occ, None)`` to create, ``(occ, booking)`` to revive, None when the date is paused,
    started, or taken by a booking the plan did not cancel itself."""
    if in_pause(plan, occ.date) or occ.starts_at <= now:
        return None
    booking = existing.get(occ.date)
    if booking is not None and not revivable(booking):
        return None
    return occ, booking


def due_on(
    plan: ServicePlan, day: date, existing: dict[date, Booking], counted: int, now: datetime
) -> list[tuple[Occurrence, Booking | None]]:
    """``due`` for one date. A plan without ``max_visits`` only needs that date's rule and
    booking (the daily job's per-date transaction then reads that date's visits, not every
    visit since the window's start); with ``max_visits`` the earlier dates decide, so ``due``
    runs whole (``existing`` must then hold the window's visits)."""
    if plan.max_visits:
        return [(occ, b) for occ, b in due(plan, existing, counted, now) if occ.date == day]
    span = window(plan, now)
    if span is None or not span[0] <= day <= span[1]:
        return []
    items = (
        _due_one(plan, occ, existing, now)
        for occ in plan_rule(plan).occurrences(day, day + timedelta(days=1))
    )
    return [item for item in items if item is not None]


def finish(tx, plan: ServicePlan, now: datetime) -> None:
    """After materialising: the horizon mark, a pause that ran out, the end of the plan."""
    span = window(plan, now)
    if span is None:
        return
    plan.materialised_through = max(span[1], plan.materialised_through or span[1])
    if plan.status not in ("ACTIVE", "PAUSED"):
        return
    today = now.astimezone(ZoneInfo(plan.time_zone)).date()
    if plan.status == "PAUSED" and plan.paused_until is not None and plan.paused_until <= today:
        plan.status, plan.paused_from, plan.paused_until = "ACTIVE", None, None
    counted = counted_visits(tx, plan.id) if plan.max_visits else 0
    if _finished(tx, plan, counted, today, now):
        plan.status = "ENDED"


def existing_states(tx, plan_ids: list[int], start: date) -> dict[int, dict[date, object]]:
    """The plans' visits by date from ``start``, as the columns ``due`` reads (status and who
    cancelled why) — not whole bookings: the daily job's planning pass reads every visit of
    every due plan, and loading each booking's JSON columns was most of a steady-state run."""
    out: dict[int, dict[date, object]] = {p: {} for p in plan_ids}
    for row in tx.execute(
        select(
            Booking.plan_id,
            Booking.occurrence_date,
            Booking.status,
            Booking.cancelled_by,
            Booking.cancel_reason,
        ).where(Booking.plan_id.in_(plan_ids), Booking.occurrence_date >= start)
    ):
        out[row.plan_id][row.occurrence_date] = row
    return out


def existing_visits(
    tx, plan_ids: list[int], start: date, only: date | None = None, whole: list[int] = ()
) -> dict[int, dict[date, Booking]]:
    """The plans' visits by date from ``start``; with ``only``, that date's alone (except for
    the ``whole`` plans, read from ``start``)."""
    out: dict[int, dict[date, Booking]] = {p: {} for p in plan_ids}
    dates = Booking.occurrence_date >= start
    if only is not None:
        on_day = Booking.occurrence_date == only
        dates = or_(on_day, and_(dates, Booking.plan_id.in_(whole))) if whole else on_day
    for b in tx.scalars(select(Booking).where(Booking.plan_id.in_(plan_ids), dates)):
        out[b.plan_id][b.occurrence_date] = b
    return out


def materialise_locked(tx, plan: ServicePlan, now: datetime | None = None) -> list[Booking]:
    """Create (or revive) the plan's missing visits up to the horizon; the caller holds the plan
    row lock. See ``due`` for which dates."""
    now = now or datetime.now(UTC)
    span = window(plan, now)
    if span is None:
        return []
    existing = existing_visits(tx, [plan.id], span[0])[plan.id]
    counted = counted_visits(tx, plan.id) if plan.max_visits else 0
    created: list[Booking] = []
    for occ, booking in due(plan, existing, counted, now):
        if booking is None:
            created.append(new_visit(tx, plan, occ, now))
        else:
            created.append(revive(tx, plan, booking, occ, now))
    finish(tx, plan, now)
    redeem_credits(tx, [plan])
    return created


def _finished(tx, plan: ServicePlan, counted: int, today: date, now: datetime) -> bool:
    """ENDED after ``ends_on``, or once ``max_visits`` are booked and the last has started."""
    if plan.ends_on is not None and plan.ends_on < today:
        return True
    if not plan.max_visits or counted < plan.max_visits:
        return False
    ahead = tx.scalar(
        select(func.count()).where(
            Booking.plan_id == plan.id, Booking.status.in_(LIVE), Booking.starts_at > now
        )
    )
    return ahead == 0


def materialise(plan_id: int, now: datetime | None = None) -> int:
    """Materialise one plan in its own transaction → the number of visits created."""
    with db.transaction() as tx:
        plan = locked_plan(tx, plan_id)
        if plan is None:
            return 0
        return len(materialise_locked(tx, plan, now))
