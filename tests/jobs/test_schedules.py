"""Schedules as data, reconciled against a real rq-scheduler on the test Redis db."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rq.job import Job
from rq_scheduler import Scheduler

from jobs import queues
from jobs.heartbeat import heartbeat_report
from jobs.schedules import SCHEDULES, Schedule, check, reconcile
from tests.jobs.conftest import ROOT

PING = "tests.jobs.sample_jobs.set_marker"
TENANT_PING = "tests.jobs.sample_jobs.record_ping"


@pytest.fixture()
def scheduler(runtime):
    return Scheduler(connection=runtime.redis)


def scheduled_ids(scheduler) -> set[str]:
    return {job.id for job in scheduler.get_jobs()}


def every(seconds: int, name: str = "marker") -> Schedule:
    return Schedule(name, PING, interval=seconds, queue=queues.MAINTENANCE)


def test_new_schedules_are_created_with_their_definition(scheduler):
    a, b = every(60, "a"), Schedule("b", PING, cron="*/5 * * * *", queue=queues.EMAIL)
    report = reconcile(scheduler, [a, b])
    assert report == {"created": ["a", "b"], "kept": [], "replaced": [], "removed": []}
    assert scheduled_ids(scheduler) == {a.job_id, b.job_id}
    job_a = Job.fetch(a.job_id, connection=scheduler.connection)
    job_b = Job.fetch(b.job_id, connection=scheduler.connection)
    assert (job_a.func_name, job_a.origin, job_a.meta["interval"]) == (PING, "maintenance", 60)
    assert (job_b.origin, job_b.meta["cron_string"]) == ("email", "*/5 * * * *")
    assert job_b.meta["use_local_timezone"] is False


def test_unchanged_schedules_are_kept_without_moving_their_next_run(scheduler):
    a = every(60, "a")
    reconcile(scheduler, [a])
    first = dict((job.id, at) for job, at in scheduler.get_jobs(with_times=True))
    report = reconcile(scheduler, [every(60, "a")])
    assert report == {"created": [], "kept": ["a"], "replaced": [], "removed": []}
    assert dict((job.id, at) for job, at in scheduler.get_jobs(with_times=True)) == first
    assert scheduler.count() == 1


def test_changed_schedule_is_replaced_not_duplicated(scheduler):
    old = every(60, "a")
    reconcile(scheduler, [old, every(60, "b")])
    new = every(120, "a")
    report = reconcile(scheduler, [new, every(60, "b")])
    assert report == {"created": [], "kept": ["b"], "replaced": ["a"], "removed": []}
    assert scheduled_ids(scheduler) == {new.job_id, every(60, "b").job_id}
    assert not Job.exists(old.job_id, connection=scheduler.connection)


def test_removed_schedule_is_cancelled_and_its_job_deleted(scheduler):
    a, b = every(60, "a"), every(60, "b")
    reconcile(scheduler, [a, b])
    report = reconcile(scheduler, [a])
    assert report == {"created": [], "kept": ["a"], "replaced": [], "removed": ["b"]}
    assert scheduled_ids(scheduler) == {a.job_id}
    assert not Job.exists(b.job_id, connection=scheduler.connection)


def test_restarts_never_duplicate(scheduler):
    for _ in range(3):
        reconcile(scheduler, SCHEDULES)
    assert scheduler.count() == len(SCHEDULES)


def test_schedule_whose_job_hash_vanished_is_recreated(scheduler):
    a = every(60, "a")
    reconcile(scheduler, [a])
    scheduler.connection.delete(Job.key_for(a.job_id))
    report = reconcile(scheduler, [a])
    assert report["replaced"] == ["a"]
    assert Job.exists(a.job_id, connection=scheduler.connection)


def test_other_scheduled_jobs_are_left_alone(scheduler):
    from datetime import datetime, timedelta

    adhoc = scheduler.enqueue_at(datetime.utcnow() + timedelta(hours=1), PING, "k", "v")
    reconcile(scheduler, [every(60, "a")])
    reconcile(scheduler, [])
    assert scheduled_ids(scheduler) == {adhoc.id}


def test_fan_out_schedule_runs_the_fan_out_job_for_a_tenant_job(scheduler):
    s = Schedule("pings", TENANT_PING, interval=3600, fan_out=True)
    reconcile(scheduler, [s])
    job = Job.fetch(s.job_id, connection=scheduler.connection)
    assert job.func_name == "jobs.fanout.fan_out"
    assert job.args == (TENANT_PING, "pings")
    assert job.kwargs == {"interval": 3600, "cron": None}


def test_definitions_are_validated():
    assert every(1).interval == 1
    with pytest.raises(ValueError):
        every(0)
    with pytest.raises(ValueError):
        Schedule("x", PING)
    with pytest.raises(ValueError):
        Schedule("x", PING, cron="* * * * *", interval=60)
    with pytest.raises(ValueError):
        Schedule("x", PING, cron="every minute")
    with pytest.raises(ValueError):
        Schedule("Bad Name", PING, interval=60)
    with pytest.raises(ValueError):
        Schedule("x", PING, interval=60, queue="nope")
    with pytest.raises(ValueError):
        check([every(60, "a"), every(30, "a")])
    with pytest.raises(ValueError):
        check([Schedule("x", "tests.jobs.sample_jobs.set_marker", interval=60, fan_out=True)])
    with pytest.raises(ValueError, match="cannot import"):
        check([Schedule("x", "tests.jobs.sample_jobs.missing", interval=60)])
    with pytest.raises(ValueError, match="cannot import"):
        check([Schedule("x", "tests.jobs.no_such_module.f", interval=60)])


def test_every_shipped_schedule_imports_and_is_unique():
    check(SCHEDULES)
    assert "heartbeat" in {s.name for s in SCHEDULES}


def test_scheduler_process_reconciles_enqueues_and_beats(runtime, worker_env, run_worker):
    result = subprocess.run(
        [sys.executable, "-m", "jobs.scheduler", "--burst"],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    scheduler = Scheduler(connection=runtime.redis)
    # export auto-replay is off by default (EXPORT_AUTO_REPLAY), so it is not scheduled
    assert scheduled_ids(scheduler) == {s.job_id for s in SCHEDULES if s.setting is None}
    report = heartbeat_report(runtime.redis)
    assert report["scheduler_ok"] is True
    assert report["pipeline_age"] is None
    run_worker(queues.MAINTENANCE)  # runs the heartbeat schedule's job
    assert heartbeat_report(runtime.redis)["pipeline_age"] is not None


def test_a_switched_off_schedule_is_left_out(settings):
    from jobs.schedules import active_schedules

    names = {s.name for s in active_schedules(settings)}
    assert "export-auto-replay" not in names and "retention-cleanup" in names
    on = {s.name for s in active_schedules(settings.replace(export_auto_replay=True))}
    assert "export-auto-replay" in on
