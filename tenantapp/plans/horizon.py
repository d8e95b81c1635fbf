"""The horizon extension of a whole tenant, day by day (the daily job's work, SPEC §5.10).

``visits.materialise_locked`` places one plan's visits one at a time — right for a request that
creates or changes one plan, but a tenant's daily run over 1 000 plans would pay ~10 round trips
per visit. Here the same rules run grouped by date:

1. plans whose horizon is behind are read in batches, with their existing visits, and ``due``
   (the same function ``materialise_locked`` uses) says which visits each needs;
2. each date's visits are placed in one transaction: the plans' row locks (by id — a concurrent
   run or a plan change waits, then is re-checked under the lock), the day's team locks, one
   calendar read, the team choice for every visit in memory (each placed visit joins its team's
   busy list, so two never overlap), one multi-row insert, the ``bookings_created`` units in one
   step per period (``consume_batch``; one by one only when the limit is in reach);
3. each batch of plans then gets its horizon mark and status (pause ended, plan ENDED).

Locks are always taken plans first, then one date's teams in id order, one date per transaction —
the order every other writer uses — and a date's transaction holds at most one date's team locks.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from jobs import signals
from shared import db
from shared.entitlements import consume_batch, counted_at
from shared.tenancy import current_tenant
from tenantapp.bookings import allowance
from tenantapp.bookings.models import Booking, BookingWorker
from tenantapp.plans import visits
from tenantapp.plans.models import ServicePlan
from tenantapp.plans.rules import Occurrence
from tenantapp.settings.models import TenantSettings

BATCH = 500


def due_plans(tx, now: datetime, after: int, limit: int = BATCH) -> list[ServicePlan]:
    """Plans whose horizon is behind today's (index ``ix_plans_status_horizon``)."""
    zone = ZoneInfo(tx.get(TenantSettings, 1).time_zone)
    through = visits.horizon_end(zone, now)
    today = now.astimezone(zone).date()
    stmt = (
        select(ServicePlan)
        .where(
            ServicePlan.id > after,
            or_(
                and_(
                    ServicePlan.status.in_(("ACTIVE", "PAUSED")),
                    or_(
                        ServicePlan.materialised_through.is_(None),
                        ServicePlan.materialised_through < through,
                        ServicePlan.paused_until <= today,
                        ServicePlan.ends_on < today,
                    ),
                ),
                # cancelled from a later date: its visits until then still come
                and_(
                    ServicePlan.status == "CANCELLED",
                    ServicePlan.cancelled_on > today,
                    ServicePlan.materialised_through < through,
                ),
            ),
        )
        .order_by(ServicePlan.id)
        .limit(limit)
    )
    return list(tx.scalars(stmt))


def _plan_work(tx, plans: list[ServicePlan], now: datetime) -> dict[date, list[int]]:
    """Which plans have a visit due on which date (read without locks; re-checked under them)."""
    starts = {p.id: visits.window(p, now) for p in plans}
    live = [p for p in plans if starts[p.id] is not None]
    if not live:
        return {}
    existing = visits.existing_states(
        tx, [p.id for p in live], min(s[0] for s in starts.values() if s)
    )
    capped = [p.id for p in live if p.max_visits]
    counted = visits.counted_by_plan(tx, capped) if capped else {}
    work: dict[date, list[int]] = defaultdict(list)
    for plan in live:
        for occ, _ in visits.due(plan, existing[plan.id], counted.get(plan.id, 0), now):
            work[occ.date].append(plan.id)
    return work


def _count_all(tx, placed: list[Booking], now: datetime) -> set[int]:
    """Count every placed visit's unit; the ids of those counted (all, unless the limit bites)."""
    by_period: dict[datetime, list[Booking]] = defaultdict(list)
    for booking in placed:
        snapshot = dict(booking.policy_snapshot or {})
        key = allowance.plan_visit_key(
            booking.plan_id, booking.occurrence_date, int(snapshot.get("life", 0))
        )
        booking.policy_snapshot = {**snapshot, "usage_key": key}
        by_period[counted_at(booking.starts_at, now)].append(booking)
    counted: set[int] = set()
    for when, group in by_period.items():
        keys = [b.policy_snapshot["usage_key"] for b in group]
        if consume_batch(tx, current_tenant(), "bookings_created", keys, when):
            counted.update(id(b) for b in group)
            continue
        for booking in group:  # the limit is in reach: as many as fit, in start order
            booking.policy_snapshot = {
                k: v for k, v in booking.policy_snapshot.items() if k != "usage_key"
            }
            if visits._count(tx, booking, now):
                counted.add(id(booking))
    return counted


def materialise_day(day: date, plan_ids: list[int], now: datetime) -> int:
    """Place every due visit of ``plan_ids`` on ``day`` in one transaction → visits placed."""
    with db.transaction() as tx:
        plans = list(
            tx.scalars(
                select(ServicePlan)
                .where(ServicePlan.id.in_(sorted(set(plan_ids))))
                .order_by(ServicePlan.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        spans = [w for w in (visits.window(p, now) for p in plans) if w is not None]
        if not spans:
            return 0
        capped = [p.id for p in plans if p.max_visits]
        existing = visits.existing_visits(
            tx, [p.id for p in plans], min(w[0] for w in spans), only=day, whole=capped
        )
        counted = visits.counted_by_plan(tx, capped) if capped else {}
        todo: list[tuple[ServicePlan, Occurrence, Booking | None]] = []
        for plan in plans:
            found = existing[plan.id]
            for occ, booking in visits.due_on(plan, day, found, counted.get(plan.id, 0), now):
                todo.append((plan, occ, booking))
        if not todo:
            return 0
        zone = ZoneInfo(todo[0][0].time_zone)
        teams = visits.locked_day(tx, day)
        placed: list[tuple[Booking, Occurrence, tuple]] = []
        for plan, occ, booking in sorted(todo, key=lambda t: (t[1].starts_at, t[0].id)):
            if booking is None:
                booking = visits.visit_row(plan, occ)
            else:
                visits.new_life(plan, booking)
                booking.starts_at, booking.ends_at = occ.starts_at, occ.ends_at
                booking.duration_minutes = plan.duration_minutes
            team = visits.pick_team(teams, occ, plan.team_id, day, zone)
            if team[0] is not None:
                next(t for t in teams if t.team_id == team[0]).bookings.append(
                    (occ.starts_at, occ.ends_at)
                )
            placed.append((booking, occ, team))
        counted_ids = _count_all(tx, [b for b, _, team in placed if team[0] is not None], now)
        fresh = []
        for booking, occ, team in placed:
            visits.settle(booking, occ, team, id(booking) in counted_ids, now)
            if booking.id is None:
                fresh.append(booking)
        tx.add_all(fresh)
        tx.flush()
        _crews(tx, {p.id: p for p in plans}, fresh)  # a revived visit keeps its crew
        confirmed = [b for b, _, _ in placed if b.status == "CONFIRMED"]
        if confirmed:  # the reminders' due time is the earliest one: one signal per date
            signals.booking_changed(tx, min(confirmed, key=lambda b: b.starts_at))
        return len(placed)


def _crews(tx, plans: dict[int, ServicePlan], placed: list[Booking]) -> None:
    """The plans' crews on the date's new visits, one read of the workers' busy times."""
    wanted = {w for b in placed for w in plans[b.plan_id].worker_ids if b.team_id is not None}
    if not wanted:
        return
    lo, hi = min(b.starts_at for b in placed), max(b.ends_at for b in placed)
    busy: dict[int, list] = defaultdict(list)
    for worker_id, start, end in tx.execute(
        select(BookingWorker.worker_id, Booking.starts_at, Booking.ends_at)
        .join(Booking, Booking.id == BookingWorker.booking_id)
        .where(
            BookingWorker.worker_id.in_(wanted),
            Booking.status.in_(visits.LIVE),
            Booking.starts_at < hi,
            Booking.ends_at > lo,
        )
    ):
        busy[worker_id].append((start, end))
    for booking in placed:
        plan = plans[booking.plan_id]
        taken = {
            w
            for w in plan.worker_ids
            for s, e in busy[w]
            if s < booking.ends_at and e > booking.starts_at
        }
        rows = visits.crew_rows(plan, booking, taken)
        tx.add_all(rows)
        for row in rows:
            busy[row.worker_id].append((booking.starts_at, booking.ends_at))


def _finish_batch(plan_ids: list[int], now: datetime) -> None:
    """The horizon mark and status of each plan of a batch, under its lock."""
    with db.transaction() as tx:
        plans = list(
            tx.scalars(
                select(ServicePlan)
                .where(ServicePlan.id.in_(plan_ids))
                .order_by(ServicePlan.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        for plan in plans:
            visits.finish(tx, plan, now)
        visits.redeem_credits(tx, plans)


def extend_all(now: datetime | None = None) -> dict:
    """Materialise every due plan of the tenant in context → ``{plans, visits}``."""
    now = now or datetime.now(UTC)
    plans = created = after = 0
    while True:
        with db.transaction() as tx:
            batch = due_plans(tx, now, after)
            ids = [p.id for p in batch]
            work = _plan_work(tx, batch, now)
        for day in sorted(work):
            created += materialise_day(day, work[day], now)
        if ids:
            _finish_batch(ids, now)
        plans += len(ids)
        if len(ids) < BATCH:
            return {"plans": plans, "visits": created}
        after = ids[-1]
