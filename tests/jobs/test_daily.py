"""Daily fan-outs are pre-filtered by local time: one job per tenant per local date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jobs.daily import daily_fan_out, done_key
from jobs.schedules import DAILY_FAN_OUT_FUNC, SCHEDULES, Schedule
from tests.jobs.helpers import suspend
from tests.jobs.test_fanout import tenant_jobs
from tests.support import signup

PING = "tests.jobs.sample_jobs.record_ping"


def run(at: str) -> dict:
    return daily_fan_out(PING, "pings", hour=2, jitter=0, now=at)


@pytest.fixture()
def edmonton(client):
    return signup(client, time_zone="America/Edmonton")


@pytest.fixture()
def kolkata(client):
    return signup(client, time_zone="Asia/Kolkata")


def test_a_tenant_is_due_from_02_local(rt, edmonton):
    run("2026-01-10T08:59:59+00:00")  # 01:59:59 local
    assert tenant_jobs(rt.redis, edmonton.id) == []
    run("2026-01-10T09:00:00+00:00")  # 02:00 local
    assert len(tenant_jobs(rt.redis, edmonton.id)) == 1


def test_a_half_hour_zone_is_due_from_its_own_02_00(rt, kolkata):
    run("2026-01-10T20:29:59+00:00")  # 01:59:59 on the 11th in Kolkata
    assert tenant_jobs(rt.redis, kolkata.id) == []
    run("2026-01-10T20:30:00+00:00")
    assert len(tenant_jobs(rt.redis, kolkata.id)) == 1


def test_a_day_without_02_00_runs_at_the_first_tick_after(rt, edmonton):
    run("2026-03-08T08:00:00+00:00")  # 01:00 MST; 02:00 never comes that night
    assert tenant_jobs(rt.redis, edmonton.id) == []
    run("2026-03-08T09:00:00+00:00")  # 03:00 MDT
    assert len(tenant_jobs(rt.redis, edmonton.id)) == 1


def test_once_done_a_tenant_gets_no_more_jobs_that_local_date(rt, edmonton):
    run("2026-01-10T09:00:00+00:00")
    run("2026-01-10T09:30:00+00:00")  # same tick: the fan-out's period key holds
    assert len(tenant_jobs(rt.redis, edmonton.id)) == 1
    rt.redis.set(done_key(edmonton.id, "pings", date(2026, 1, 10)), "1")  # the job succeeded
    for hour in range(10, 24):
        run(f"2026-01-10T{hour:02d}:00:00+00:00")
    run("2026-01-11T06:00:00+00:00")  # 23:00 local, still the 10th
    assert len(tenant_jobs(rt.redis, edmonton.id)) == 1
    run("2026-01-11T09:00:00+00:00")  # the next local date
    assert len(tenant_jobs(rt.redis, edmonton.id)) == 2


def test_a_day_whose_job_failed_is_retried_at_the_next_tick(rt, edmonton):
    run("2026-01-10T09:00:00+00:00")
    run("2026-01-10T10:00:00+00:00")  # no done key: the run failed (or has not run yet)
    assert len(tenant_jobs(rt.redis, edmonton.id)) == 2


def test_inactive_tenants_get_no_daily_job(rt, client, operator_headers, edmonton):
    suspend(client, operator_headers, edmonton.id)
    run("2026-01-10T09:00:00+00:00")
    assert tenant_jobs(rt.redis, edmonton.id) == []


def test_retention_is_a_daily_schedule_on_an_hourly_tick():
    [retention] = [s for s in SCHEDULES if s.name == "retention-cleanup"]
    func, args, kwargs = retention.call()
    assert func == DAILY_FAN_OUT_FUNC
    assert args == ("tenantapp.retention.jobs.retention_cleanup", "retention-cleanup")
    assert kwargs == {"hour": 2, "interval": 3600}


def test_no_schedule_polls_every_tenant_more_than_daily():
    """Per-minute (or any sub-daily) fan-outs over all tenants are gone, except opt-in ones."""
    for s in SCHEDULES:
        if s.fan_out and s.setting is None:
            assert s.daily_at is not None, s.name


@pytest.mark.parametrize("hour", [-1, 24])
def test_daily_at_must_be_an_hour(hour):
    with pytest.raises(ValueError):
        Schedule("x", PING, interval=3600, fan_out=True, daily_at=hour)
    assert Schedule("x", PING, interval=3600, fan_out=True, daily_at=23).daily_at == 23


def test_existing_definitions_keep_their_ids():
    import hashlib
    import json
    from dataclasses import asdict

    s = Schedule("x", PING, interval=60)
    before = {k: v for k, v in asdict(s).items() if k != "daily_at"}  # the fields of old
    digest = hashlib.sha256(json.dumps(before, sort_keys=True, separators=(",", ":")).encode())
    assert s.job_id == "schedule-x-" + digest.hexdigest()[:16]
    assert Schedule("x", PING, interval=60, fan_out=True, daily_at=2).job_id != s.job_id


def test_now_defaults_to_the_clock(rt):
    result = daily_fan_out(PING, "pings", hour=0, jitter=0)
    assert result["period"] == str(int(datetime.now(UTC).timestamp()) // 3600 * 3600)
