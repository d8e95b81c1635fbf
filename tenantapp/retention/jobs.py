"""Retention cleanup job: hourly fan-out, once per tenant-local date from 02:00 local."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jobs import queues
from jobs.decorators import skipped, tenant_job
from shared import db
from shared.runtime import current_runtime
from tenantapp.retention.service import cleanup, due_local_date
from tenantapp.settings.models import TenantSettings

KEY_TTL = 3 * 24 * 3600  # a date's key outlives every time zone's copy of that date


def run_key(tenant_id, local_date) -> str:
    return f"t:{tenant_id}:retention-cleanup:{local_date.isoformat()}"


@tenant_job(queue=queues.MAINTENANCE, timeout=600)
def retention_cleanup(tenant_id, now: str | None = None) -> dict:
    """Job (hourly fan-out): run the cleanup at the first tick at or after 02:00 local, once a day."""
    at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    zone = ZoneInfo(db.session().get(TenantSettings, 1).time_zone)
    local_date = due_local_date(at, zone)
    if local_date is None:
        return skipped("before_02_local")
    redis = current_runtime().redis
    key = run_key(tenant_id, local_date)
    if not redis.set(key, at.isoformat(), nx=True, ex=KEY_TTL):
        return skipped("already_ran_today")
    try:
        return {"local_date": local_date.isoformat(), **cleanup(now=at)}
    except Exception:
        redis.delete(key)  # let the next hourly tick try again
        raise
