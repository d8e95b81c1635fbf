"""API request metering in Redis, the once-a-minute flush, drift."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select, update

from shared import db
from shared.entitlements import consume, usage
from shared.models.plans import UsageCounter, UsageEvent
from shared.usage import BUCKET_PREFIX, count_api_request, flush_api_usage, minute_bucket


def _pending_count(rt, tenant_id) -> int:
    total = 0
    for bucket in rt.redis.smembers("usage:api:pending"):
        raw = rt.redis.hget(BUCKET_PREFIX + bucket.decode(), tenant_id)
        total += int(raw or 0)
    return total


def test_requests_are_counted_in_redis_without_sql(client, rt, tenant):
    client.get("/v1/tenant", headers=tenant.headers)  # warm the session cache
    before = _pending_count(rt, tenant.id)
    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        count_api_request(rt.redis, tenant.id)
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert statements == []
    for _ in range(3):
        assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
    assert _pending_count(rt, tenant.id) == before + 4


def test_flush_makes_one_event_per_tenant_per_minute_once(rt, tenant, other_tenant):
    minute = datetime(2031, 3, 4, 5, 6, tzinfo=UTC)
    for _ in range(5):
        count_api_request(rt.redis, tenant.id, now=minute)
    count_api_request(rt.redis, other_tenant.id, now=minute)
    count_api_request(rt.redis, tenant.id, now=minute + timedelta(minutes=1))  # not finished

    summary = flush_api_usage(now=minute + timedelta(minutes=1, seconds=10))
    assert summary["requests"] >= 6
    key = f"api_requests:{tenant.id}:{minute_bucket(minute)}"
    rows = db.session().scalars(select(UsageEvent).where(UsageEvent.idempotency_key == key)).all()
    assert [r.quantity for r in rows] == [5] and rows[0].occurred_at == minute
    assert usage(db.session(), uuid.UUID(tenant.id), minute)["api_requests"] == 5
    # the unfinished minute is still in Redis
    assert rt.redis.hget(BUCKET_PREFIX + minute_bucket(minute + timedelta(minutes=1)), tenant.id)

    # a flush that crashed after committing but before dropping the bucket runs again: no double
    rt.redis.hset(BUCKET_PREFIX + minute_bucket(minute), tenant.id, 5)
    rt.redis.sadd("usage:api:pending", minute_bucket(minute))
    flush_api_usage(now=minute + timedelta(minutes=1, seconds=10))
    assert usage(db.session(), uuid.UUID(tenant.id), minute)["api_requests"] == 5
    db.close_session()


def test_flush_waits_for_the_minute_to_end(rt, tenant):
    minute = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    count_api_request(rt.redis, tenant.id, now=minute)
    flush_api_usage(now=minute + timedelta(seconds=64))  # grace of 5 s not over
    assert rt.redis.hget(BUCKET_PREFIX + minute_bucket(minute), tenant.id) == b"1"
    flush_api_usage(now=minute + timedelta(seconds=65))
    assert rt.redis.hget(BUCKET_PREFIX + minute_bucket(minute), tenant.id) is None


def test_drift_appears_in_billing_status(client, rt, tenant):
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        consume(tx, ref, "bookings_created", 2)
        consume(tx, ref, "storage_bytes", 1000, idempotency_key=f"photo:{tenant.id}:1")
        consume(tx, ref, "storage_bytes", -400)
    db.close_session()
    status = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert status["usage"]["bookings_created"] == 2 and status["usage"]["storage_bytes"] == 600
    assert set(status["drift"].values()) == {0}
    with rt.owner_engine.begin() as conn:
        conn.execute(
            update(UsageCounter)
            .where(UsageCounter.tenant_id == uuid.UUID(tenant.id))
            .where(UsageCounter.metric == "bookings_created")
            .values(used=UsageCounter.used + 3)
        )
    drift = client.get("/v1/billing/status", headers=tenant.headers).get_json()["drift"]
    assert drift["bookings_created"] == 3 and drift["storage_bytes"] == 0
