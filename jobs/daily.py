"""Daily per-tenant fan-outs pre-filtered by local time: each tenant gets one job a day.

A schedule with ``daily_at=H`` (an hourly tick) runs ``daily_fan_out(func, name, hour=H)``. It
reads the active tenants with their time zone (control plane, in batches), and keeps only those
whose local time has reached ``H:00`` today and whose job has not yet succeeded for that local
date — the job records success in ``t:<tenant id>:<schedule>:<local date>`` (as
``tenantapp.retention.jobs`` does) and releases it when it fails, so a failed day is retried at the
next tick. The first tick at or after ``H:00`` local enqueues the job, so DST days work (a day
without ``02:00`` runs at the first tick after it). The survivors go through the fan-out's
enqueue with the per-(tenant, job, period) idempotency key, so a second scheduler or a retry of
this job never enqueues a tenant twice in one tick.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from rq.utils import import_attribute
from sqlalchemy import select

from jobs import queues
from jobs.decorators import job
from jobs.fanout import BATCH_SIZE, MAX_JITTER, MIN_KEY_TTL, _enqueue_batch, period_of
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

log = logging.getLogger("jobs.daily")


def done_key(tenant_id, schedule: str, local_date) -> str:
    """The key a daily job sets when it succeeded for ``local_date`` (tenant-local)."""
    return f"t:{tenant_id}:{schedule}:{local_date.isoformat()}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def due_tenants(engine, redis, schedule: str, hour: int, now: datetime, batch_size=BATCH_SIZE):
    """Batches of active tenant ids whose local ``hour:00`` has passed and whose day is not done."""
    at = time(hour=hour)
    zones: dict[str, tuple[bool, object]] = {}
    after = None
    while True:
        stmt = (
            select(Tenant.id, Tenant.time_zone)
            .where(Tenant.status == "active")
            .order_by(Tenant.id)
            .limit(batch_size)
        )
        if after is not None:
            stmt = stmt.where(Tenant.id > after)
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        candidates = []
        for tenant_id, zone_name in rows:
            if zone_name not in zones:
                local = now.astimezone(_zone(zone_name))
                zones[zone_name] = (local.time() >= at, local.date())
            reached, local_date = zones[zone_name]
            if reached:
                candidates.append((tenant_id, local_date))
        if candidates:
            with redis.pipeline(transaction=False) as pipe:
                for tenant_id, local_date in candidates:
                    pipe.exists(done_key(tenant_id, schedule, local_date))
                done = pipe.execute()
            todo = [tid for (tid, _), ran in zip(candidates, done, strict=True) if not ran]
            if todo:
                yield todo
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


@job(queue=queues.MAINTENANCE, timeout=600, result_ttl=3600)
def daily_fan_out(
    func_path: str,
    schedule: str,
    hour: int = 2,
    interval: int = 3600,
    jitter: int = MAX_JITTER,
    now: str | None = None,
) -> dict:
    """Enqueue ``func_path`` for the active tenants whose local day is due (see module doc)."""
    if not 0 <= hour <= 23:
        raise ValueError("hour must be 0-23")
    fn = import_attribute(func_path)
    if not getattr(fn, "is_tenant_job", False):
        raise TypeError(f"{func_path} is not a @tenant_job")
    runtime = current_runtime()
    at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    period, length = period_of(at, interval=interval)
    ttl = max(2 * length, MIN_KEY_TTL)
    totals = {"enqueued": 0, "already": 0, "failed": 0}
    for ids in due_tenants(runtime.engine, runtime.redis, schedule, hour, at):
        done, already, failed = _enqueue_batch(
            runtime.redis, fn, schedule, ids, period, ttl, jitter
        )
        totals["enqueued"] += done
        totals["already"] += already
        totals["failed"] += failed
    log.info("daily fan-out done", extra={"job": schedule, "period": period, **totals})
    return {"period": period, **totals}
