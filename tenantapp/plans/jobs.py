"""The daily horizon job: every plan's visits up to today + 56 days (SPEC §5.10, §6).

Driven by the daily fan-out pre-filtered by tenant-local time (``jobs.daily``, schedule
``plan-horizons``): each tenant gets one job a day, at the first hourly tick at or after 03:00
local. Each plan is materialised in its own short transaction holding the plan's row lock, so a
second run (twice, twice at once, or after a worker was killed mid-run) waits for the first and
then finds its dates taken: nothing twice, and the plans a killed run did not reach are done by
the next one. Plans already materialised through today's horizon are not even read.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from jobs import queues
from jobs.decorators import skipped, tenant_job
from shared import db
from shared.runtime import current_runtime
from tenantapp.plans import visits
from tenantapp.plans.models import ServicePlan
from tenantapp.settings.models import TenantSettings

RUN_AT_LOCAL = time(3, 0)
KEY_TTL = 3 * 24 * 3600  # a date's key outlives every time zone's copy of that date
BATCH = 500


def run_key(tenant_id, local_date) -> str:
    return f"t:{tenant_id}:plan-horizons:{local_date.isoformat()}"


def due_plan_ids(now: datetime, after: int = 0, limit: int = BATCH) -> list[int]:
    """Plans whose horizon is behind today's (index ``ix_plans_status_horizon``)."""
    sess = db.session()
    zone = ZoneInfo(sess.get(TenantSettings, 1).time_zone)
    through = visits.horizon_end(zone, now)
    today = now.astimezone(zone).date()
    stmt = (
        select(ServicePlan.id)
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
    ids = list(sess.scalars(stmt))
    sess.rollback()  # end the read: each plan gets its own transaction
    return ids


def extend_all(now: datetime | None = None) -> dict:
    """Materialise every due plan of the tenant in context → ``{plans, visits}``."""
    now = now or datetime.now(UTC)
    plans = created = 0
    after = 0
    while True:
        ids = due_plan_ids(now, after)
        for plan_id in ids:
            created += visits.materialise(plan_id, now)
            plans += 1
        if len(ids) < BATCH:
            return {"plans": plans, "visits": created}
        after = ids[-1]


@tenant_job(queue=queues.MAINTENANCE, timeout=900)
def extend_plan_horizons(tenant_id, now: str | None = None) -> dict:
    """Job (daily fan-out): extend every plan's horizon at the first tick at or after 03:00 local,
    once per local date (a failed run is retried at the next hourly tick)."""
    at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    zone = ZoneInfo(db.session().get(TenantSettings, 1).time_zone)
    local = at.astimezone(zone)
    if local.time() < RUN_AT_LOCAL:
        return skipped("before_03_local")
    redis = current_runtime().redis
    key = run_key(tenant_id, local.date())
    if not redis.set(key, at.isoformat(), nx=True, ex=KEY_TTL):
        return skipped("already_ran_today")
    try:
        return {"local_date": local.date().isoformat(), **extend_all(at)}
    except Exception:
        redis.delete(key)  # let the next hourly tick try again
        raise
