"""API request metering: counted in Redis per tenant per minute, flushed to usage events.

A request costs no round trip of its own in the tenant app: the count rides on the request's one
pipelined round trip (``queue_api_request``); the control plane sends it alone. No SQL. Once a
minute ``flush_api_usage`` turns each finished minute into one ``api_requests`` usage event per
tenant, keyed ``api_requests:<tenant>:<minute>`` so a retried or concurrent flush never counts
twice; the Redis bucket is dropped only after its events are committed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from shared import db
from shared.entitlements import consume
from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.usage")

BUCKET_PREFIX = "usage:api:"
PENDING_KEY = "usage:api:pending"
BUCKET_TTL_SECONDS = 7 * 24 * 3600
FLUSH_GRACE = timedelta(seconds=5)  # a request that began in the last minute may still count
_FORMAT = "%Y%m%d%H%M"


def minute_bucket(now: datetime) -> str:
    return now.astimezone(UTC).strftime(_FORMAT)


def bucket_start(bucket: str) -> datetime:
    return datetime.strptime(bucket, _FORMAT).replace(tzinfo=UTC)


def queue_api_request(pipe, tenant_id, now: datetime | None = None) -> None:
    """Queue the commands that count one API request for ``tenant_id`` on ``pipe``.

    The tenant app puts them on the request's one pipelined round trip (with the tenant version
    and the rate-limit counters); the control plane sends them alone.
    """
    bucket = minute_bucket(now or datetime.now(UTC))
    key = BUCKET_PREFIX + bucket
    pipe.hincrby(key, str(tenant_id), 1)
    pipe.expire(key, BUCKET_TTL_SECONDS)
    pipe.sadd(PENDING_KEY, bucket)


def count_api_request(redis, tenant_id, now: datetime | None = None) -> None:
    """Count one API request for ``tenant_id`` in the current minute (one round trip)."""
    pipe = redis.pipeline(transaction=False)
    queue_api_request(pipe, tenant_id, now)
    pipe.execute()


def flush_api_usage(now: datetime | None = None) -> dict:
    """Job (every minute): one usage event per tenant per finished minute; returns a summary."""

    rt = current_runtime()
    now = now or datetime.now(UTC)
    cutoff = minute_bucket(now - FLUSH_GRACE)
    pending = sorted(
        b.decode() if isinstance(b, bytes) else b for b in rt.redis.smembers(PENDING_KEY)
    )
    summary = {"buckets": 0, "events": 0, "requests": 0, "failed": 0}
    try:
        for bucket in pending:
            if bucket >= cutoff:
                continue
            key = BUCKET_PREFIX + bucket
            counts = rt.redis.hgetall(key)
            ok = True
            for raw_id, raw_n in counts.items():
                tenant_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
                n = int(raw_n)
                ref = rt.tenants.by_id(tenant_id)
                if ref is None or n <= 0:
                    continue
                try:
                    with db.transaction() as tx:
                        consume(
                            tx,
                            ref,
                            "api_requests",
                            n,
                            idempotency_key=f"api_requests:{tenant_id}:{bucket}",
                            now=bucket_start(bucket),
                        )
                except Exception:  # one tenant's failure keeps the bucket for the next run
                    log.exception("api usage flush failed for tenant %s", tenant_id)
                    ok = False
                    summary["failed"] += 1
                    continue
                summary["events"] += 1
                summary["requests"] += n
            if ok:
                rt.redis.delete(key)
                rt.redis.srem(PENDING_KEY, bucket)
                summary["buckets"] += 1
    finally:
        db.close_session()
    return summary
