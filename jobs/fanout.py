"""Fleet fan-out: one job per active tenant, jittered, at most once per (tenant, job, period).

A schedule with ``fan_out=True`` runs ``fan_out(func_path, schedule, interval=..., cron=...)``,
which walks ``public.tenants`` in batches of active tenant ids and enqueues the tenant job
``func_path`` for each one with a random delay of at most ``MAX_JITTER`` seconds (spreading the load
of 1 000 tenants). Before a tenant's job is enqueued its idempotency key
``cp:fanout:<schedule>:<tenant_id>:<period>`` is claimed with ``SET NX EX`` — so a second
scheduler, or a retry of the fan-out itself, never enqueues a period twice. The period is the
schedule's current tick: the last cron tick, or the interval bucket ``floor(now / interval)``.

Each tenant's work is its own job, so one tenant's failure never stops the others; a failure to
enqueue one tenant is logged, its key released, and the walk goes on.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from crontab import CronTab
from rq.utils import import_attribute
from sqlalchemy import select
from sqlalchemy.engine import Engine

from jobs import queues
from jobs.decorators import enqueue_tenant, job
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

log = logging.getLogger("jobs.fanout")

MAX_JITTER = 30  # seconds
BATCH_SIZE = 500  # tenant ids read (and enqueued in one pipeline) per round trip
MIN_KEY_TTL = 120  # seconds an idempotency key lives at least


def period_of(now: datetime, *, interval: int | None = None, cron: str | None = None):
    """``(period key, period length in seconds)`` of the tick ``now`` belongs to (UTC)."""
    if interval:
        start = int(now.timestamp()) // interval * interval
        return str(start), interval
    if cron:
        # +1 s: a run exactly on the tick belongs to that tick (previous() is exclusive).
        probe = now + timedelta(seconds=1)
        tab = CronTab(cron)
        last = tab.previous(now=probe, default_utc=True, return_datetime=True)
        following = tab.next(now=probe, default_utc=True, return_datetime=True)
        return str(int(last.timestamp())), int((following - last).total_seconds())
    raise ValueError("a fan-out needs an interval or a cron expression")


def idempotency_key(schedule: str, tenant_id, period: str) -> str:
    return f"cp:fanout:{schedule}:{tenant_id}:{period}"


def active_tenant_ids(engine: Engine, batch_size: int | None = None) -> Iterator[list[uuid.UUID]]:
    """Active tenant ids in batches, by keyset on the id (each batch is one short query)."""
    size = batch_size or BATCH_SIZE
    after = None
    while True:
        stmt = select(Tenant.id).where(Tenant.status == "active").order_by(Tenant.id).limit(size)
        if after is not None:
            stmt = stmt.where(Tenant.id > after)
        with engine.connect() as conn:
            ids = list(conn.scalars(stmt))
        if ids:
            yield ids
        if len(ids) < size:
            return
        after = ids[-1]


def _enqueue_batch(redis, fn, schedule, ids, period, ttl, jitter) -> tuple[int, int, int]:
    keys = [idempotency_key(schedule, tid, period) for tid in ids]
    with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.set(key, "1", nx=True, ex=ttl)
        claimed = pipe.execute()
    todo = [(tid, key) for tid, key, ok in zip(ids, keys, claimed, strict=True) if ok]
    failed: list[str] = []
    queue = queues.queue(fn.options.queue, redis)  # one queue: rq asks Redis its version once
    now = datetime.now(UTC)
    with redis.pipeline() as pipe:
        for tid, key in todo:
            delay = random.uniform(0, jitter) if jitter else 0
            try:
                enqueue_tenant(
                    fn,
                    redis,
                    tid,
                    at=now + timedelta(seconds=delay) if delay else None,
                    pipeline=pipe,
                    job_id=f"fanout-{schedule}-{tid.hex}-{period}",
                    queue=queue,
                )
            except Exception:
                log.exception("fan-out could not enqueue a tenant", extra={"tenant_id": str(tid)})
                failed.append(key)
        try:
            pipe.execute()
        except Exception:
            log.exception("fan-out batch failed", extra={"job": schedule, "size": len(todo)})
            failed = [key for _, key in todo]
    if failed:
        redis.delete(*failed)  # released, so a retry of the fan-out can enqueue them
    return len(todo) - len(failed), len(ids) - len(todo), len(failed)


@job(queue=queues.MAINTENANCE, timeout=600, result_ttl=3600)
def fan_out(
    func_path: str,
    schedule: str,
    interval: int | None = None,
    cron: str | None = None,
    jitter: int = MAX_JITTER,
) -> dict:
    """Enqueue tenant job ``func_path`` once for every active tenant for the current period.

    Returns counts: ``enqueued``, ``already`` (claimed earlier this period) and ``failed``.
    """
    if not 0 <= jitter <= MAX_JITTER:
        raise ValueError(f"jitter must be between 0 and {MAX_JITTER} seconds")
    fn = import_attribute(func_path)
    if not getattr(fn, "is_tenant_job", False):
        raise TypeError(f"{func_path} is not a @tenant_job")
    runtime = current_runtime()
    period, length = period_of(datetime.now(UTC), interval=interval, cron=cron)
    ttl = max(2 * length, MIN_KEY_TTL)
    totals = {"enqueued": 0, "already": 0, "failed": 0}
    for ids in active_tenant_ids(runtime.engine):
        done, already, failed = _enqueue_batch(
            runtime.redis, fn, schedule, ids, period, ttl, jitter
        )
        totals["enqueued"] += done
        totals["already"] += already
        totals["failed"] += failed
    log.info("fan-out done", extra={"job": schedule, "period": period, **totals})
    return {"period": period, **totals}
