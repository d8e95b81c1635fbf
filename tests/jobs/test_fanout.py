"""Fan-out: one job per active tenant, jittered, at most once per (tenant, job, period)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from jobs import fanout, queues
from jobs.fanout import MAX_JITTER, fan_out, idempotency_key, period_of
from tests.jobs import sample_jobs
from tests.jobs.helpers import audit_entries, suspend

PING = "tests.jobs.sample_jobs.record_ping"
PING_OR_FAIL = "tests.jobs.sample_jobs.ping_or_fail"


def tenant_jobs(redis, tenant_id) -> list[Job]:
    """Jobs for ``tenant_id`` in the default queue and its scheduled registry."""
    q = Queue(queues.DEFAULT, connection=redis)
    ids = q.job_ids + ScheduledJobRegistry(queue=q).get_job_ids()
    jobs = [Job.fetch(job_id, connection=redis) for job_id in ids]
    return [j for j in jobs if j.meta.get("tenant_id") == str(tenant_id)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_interval_period_is_the_bucket_now_falls_in():
    assert period_of(at("2026-03-01 10:00:59.999"), interval=60)[0] == str(
        int(at("2026-03-01 10:00:00").timestamp())
    )
    assert period_of(at("2026-03-01 10:01:00"), interval=60) == (
        str(int(at("2026-03-01 10:01:00").timestamp())),
        60,
    )


def test_cron_period_is_the_last_tick_including_a_run_exactly_on_it():
    on_tick = period_of(at("2026-03-01 10:00:00"), cron="0 * * * *")
    assert on_tick == (str(int(at("2026-03-01 10:00:00").timestamp())), 3600)
    just_before = period_of(at("2026-03-01 09:59:58"), cron="0 * * * *")
    assert just_before[0] == str(int(at("2026-03-01 09:00:00").timestamp()))
    with pytest.raises(ValueError):
        period_of(at("2026-03-01 10:00:00"))


def test_two_calls_for_the_same_period_enqueue_once(rt, tenant):
    first = fan_out(PING, "pings", interval=3600)
    second = fan_out(PING, "pings", interval=3600)
    assert first["enqueued"] >= 1 and first["failed"] == 0
    assert second["enqueued"] == 0
    assert second["already"] == first["enqueued"]
    [job] = tenant_jobs(rt.redis, tenant.id)
    assert job.args == (tenant.id,)
    assert rt.redis.ttl(idempotency_key("pings", tenant.id, first["period"])) > 3600


def test_a_new_period_enqueues_again(rt, tenant, monkeypatch):
    monkeypatch.setattr(fanout, "period_of", lambda now, **kw: ("p1", 60))
    fan_out(PING, "pings", interval=60)
    monkeypatch.setattr(fanout, "period_of", lambda now, **kw: ("p2", 60))
    fan_out(PING, "pings", interval=60)
    fan_out(PING, "pings", interval=60)
    assert len(tenant_jobs(rt.redis, tenant.id)) == 2
    assert rt.redis.ttl(idempotency_key("pings", tenant.id, "p2")) == fanout.MIN_KEY_TTL


def test_jobs_are_spread_over_at_most_30_seconds(rt, tenant, other_tenant):
    started = time.time()
    fan_out(PING, "pings", interval=3600, jitter=MAX_JITTER)
    registry = ScheduledJobRegistry(queue=Queue(queues.DEFAULT, connection=rt.redis))
    for tid in (tenant.id, other_tenant.id):
        [job] = tenant_jobs(rt.redis, tid)
        due = registry.get_scheduled_time(job.id).timestamp()
        assert started - 1 <= due <= time.time() + MAX_JITTER


@pytest.mark.parametrize("jitter", [MAX_JITTER + 1, -1])
def test_jitter_above_30_seconds_is_refused(rt, jitter):
    with pytest.raises(ValueError):
        fan_out(PING, "pings", interval=3600, jitter=jitter)


def test_without_jitter_jobs_go_straight_to_the_queue(rt, tenant):
    fan_out(PING, "pings", interval=3600, jitter=0)
    [job] = tenant_jobs(rt.redis, tenant.id)
    assert job.id in Queue(queues.DEFAULT, connection=rt.redis).job_ids


def test_inactive_tenants_are_skipped(rt, client, operator_headers, tenant, other_tenant):
    suspend(client, operator_headers, other_tenant.id)
    fan_out(PING, "pings", interval=3600)
    assert len(tenant_jobs(rt.redis, tenant.id)) == 1
    assert tenant_jobs(rt.redis, other_tenant.id) == []


def test_tenants_are_read_in_batches(rt, client, tenant, other_tenant, monkeypatch):
    from tests.support import signup

    third = signup(client)
    monkeypatch.setattr(fanout, "BATCH_SIZE", 1)
    batches = list(fanout.active_tenant_ids(rt.engine))
    assert all(len(batch) == 1 for batch in batches)
    result = fan_out(PING, "pings", interval=3600)
    assert result["enqueued"] == len(batches)
    for tid in (tenant.id, other_tenant.id, third.id):
        assert len(tenant_jobs(rt.redis, tid)) == 1


def test_one_tenant_failing_to_enqueue_does_not_stop_the_others(
    rt, tenant, other_tenant, monkeypatch
):
    real = fanout.enqueue_tenant

    def flaky(fn, connection, tenant_id, *args, **kwargs):
        if str(tenant_id) == tenant.id:
            raise RuntimeError("cannot enqueue this one")
        return real(fn, connection, tenant_id, *args, **kwargs)

    monkeypatch.setattr(fanout, "enqueue_tenant", flaky)
    result = fan_out(PING, "pings", interval=3600)
    assert result["failed"] == 1
    assert tenant_jobs(rt.redis, tenant.id) == []
    assert len(tenant_jobs(rt.redis, other_tenant.id)) == 1
    # its key was released, so a retry of the fan-out picks it up (and only it)
    monkeypatch.setattr(fanout, "enqueue_tenant", real)
    retry = fan_out(PING, "pings", interval=3600)
    assert retry["enqueued"] == 1
    assert len(tenant_jobs(rt.redis, tenant.id)) == 1
    assert len(tenant_jobs(rt.redis, other_tenant.id)) == 1


def test_only_tenant_jobs_can_be_fanned_out(rt):
    with pytest.raises(TypeError):
        fan_out("tests.jobs.sample_jobs.not_a_tenant_job", "x", interval=60)


@pytest.mark.slow  # runs every active tenant's job of the run's database: grows with the suite
def test_a_failing_tenant_job_does_not_stop_the_others(rt, tenant, other_tenant, run_worker):
    rt.redis.sadd(sample_jobs.FAIL_KEY, tenant.id)
    fanout_job = fan_out.enqueue(rt, PING_OR_FAIL, "pings", interval=3600, jitter=0)
    run_worker(queues.MAINTENANCE, queues.DEFAULT)  # the fan-out, then the tenant jobs
    assert fanout_job.get_status(refresh=True) == JobStatus.FINISHED
    [failed] = tenant_jobs_anywhere(rt.redis, "pings", tenant.id)
    [done] = tenant_jobs_anywhere(rt.redis, "pings", other_tenant.id)
    assert failed.get_status() == JobStatus.FAILED
    assert done.get_status() == JobStatus.FINISHED
    assert audit_entries(rt, tenant.id, "job.fanout") == []
    assert len(audit_entries(rt, other_tenant.id, "job.fanout")) == 1


def tenant_jobs_anywhere(redis, schedule, tenant_id) -> list[Job]:
    """Fan-out jobs of ``tenant_id`` by their deterministic id, whatever their state."""
    hex_id = str(tenant_id).replace("-", "")
    keys = redis.scan_iter(f"rq:job:fanout-{schedule}-{hex_id}-*")
    ids = [k.decode().removeprefix("rq:job:") for k in keys]
    return [Job.fetch(job_id, connection=redis) for job_id in ids if ":" not in job_id]
