"""The daily horizon job: every plan's visits up to today + 56 days (SPEC §5.10, §6).

Driven by the daily fan-out pre-filtered by tenant-local time (``jobs.daily``, schedule
``plan-horizons``): each tenant gets one job a day, at the first hourly tick at or after 03:00
local. The work is ``tenantapp.plans.horizon.extend_all``: each date's visits are placed in one
transaction holding the plans' row locks, so a second run (twice, twice at once, or after a
worker was killed mid-run) waits for the first and then finds those dates taken: nothing twice,
and the dates a killed run did not reach are done by the next one. Plans already materialised
through today's horizon are not even read.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

# The tables bookings and plans point at, so the mappers resolve their foreign keys in a worker
# that imported nothing else (``tenantapp.models`` would close an import cycle through it).
import tenantapp.customers.models  # noqa: F401
import tenantapp.leads.models  # noqa: F401
import tenantapp.teams.models  # noqa: F401
import tenantapp.workers.models  # noqa: F401
from jobs import queues
from jobs.decorators import skipped, tenant_job
from shared import db
from shared.runtime import current_runtime
from tenantapp.plans import horizon
from tenantapp.settings.models import TenantSettings

RUN_AT_LOCAL = time(3, 0)
KEY_TTL = 3 * 24 * 3600  # a date's key outlives every time zone's copy of that date


def run_key(tenant_id, local_date) -> str:
    return f"t:{tenant_id}:plan-horizons:{local_date.isoformat()}"


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
        return {"local_date": local.date().isoformat(), **horizon.extend_all(at)}
    except Exception:
        redis.delete(key)  # let the next hourly tick try again
        raise
