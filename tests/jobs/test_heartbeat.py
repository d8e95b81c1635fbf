"""Heartbeats in Redis, the report ``/readyz`` shows, and the worker's own beats and fork hygiene."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from rq import Queue

from jobs import queues
from jobs.heartbeat import (
    FORGET_AFTER,
    PIPELINE,
    SCHEDULER,
    SCHEDULER_MAX_AGE,
    WORKER,
    beat,
    heartbeat_report,
    pipeline_heartbeat,
)
from jobs.worker import Worker
from tests.jobs.conftest import ROOT

NOW = 1_800_000_000.0


def test_report_without_any_beat(redis):
    assert heartbeat_report(redis, now=NOW) == {
        "workers": [],
        "scheduler_age": None,
        "scheduler_ok": False,
        "pipeline_age": None,
    }


@pytest.mark.parametrize(
    ("age", "ok"), [(0, True), (SCHEDULER_MAX_AGE - 0.5, True), (SCHEDULER_MAX_AGE, False)]
)
def test_scheduler_ok_means_a_beat_younger_than_90_seconds(redis, age, ok):
    beat(redis, SCHEDULER, "s1", now=NOW - age)
    report = heartbeat_report(redis, now=NOW)
    assert report["scheduler_age"] == pytest.approx(age)
    assert report["scheduler_ok"] is ok


def test_freshest_scheduler_counts(redis):
    beat(redis, SCHEDULER, "old", now=NOW - 500)
    beat(redis, SCHEDULER, "new", now=NOW - 5)
    assert heartbeat_report(redis, now=NOW)["scheduler_age"] == pytest.approx(5)


def test_workers_are_listed_with_their_age_and_forgotten_after_an_hour(redis):
    beat(redis, WORKER, "w-fresh", now=NOW - 1)
    beat(redis, WORKER, "w-quiet", now=NOW - (FORGET_AFTER - 1))
    beat(redis, WORKER, "w-gone", now=NOW - FORGET_AFTER)
    report = heartbeat_report(redis, now=NOW)
    assert report["workers"] == [
        {"name": "w-fresh", "age": pytest.approx(1)},
        {"name": "w-quiet", "age": pytest.approx(FORGET_AFTER - 1)},
    ]


def test_unknown_kind_is_refused(redis):
    with pytest.raises(ValueError):
        beat(redis, "cron", "x")


def test_pipeline_heartbeat_job_beats(rt):
    pipeline_heartbeat()
    assert heartbeat_report(rt.redis)["pipeline_age"] < 5
    assert rt.redis.zscore("cp:heartbeats:" + PIPELINE, queues.MAINTENANCE) is not None


def test_readyz_reports_job_heartbeats(client, runtime, operator_headers):
    beat(runtime.redis, SCHEDULER, "s1")
    body = client.get("/readyz", headers=operator_headers).get_json()
    assert body["jobs"]["scheduler_ok"] is True
    assert body["jobs"]["workers"] == []


# --------------------------------------------------------------------------- the worker class


def test_worker_beats_while_alive_and_leaves_the_report_when_it_stops(runtime):
    worker = Worker([queues.DEFAULT], runtime=runtime, name="w-test")
    worker.register_birth()
    names = [w["name"] for w in heartbeat_report(runtime.redis)["workers"]]
    assert names == ["w-test"]
    worker.heartbeat()
    worker.register_death()
    assert heartbeat_report(runtime.redis)["workers"] == []


def test_worker_has_its_own_redis_client(runtime):
    worker = Worker([queues.DEFAULT], runtime=runtime)
    assert worker.connection is not runtime.redis
    assert runtime.redis.connection_pool.connection_kwargs["socket_timeout"] == 5


def test_work_horse_disposes_inherited_pools_before_the_job(runtime, monkeypatch):
    import rq

    calls = []
    worker = Worker([queues.DEFAULT], runtime=runtime)
    monkeypatch.setattr(runtime, "dispose", lambda: calls.append("dispose"))
    monkeypatch.setattr(rq.Worker, "main_work_horse", lambda self, job, q: calls.append("job"))
    worker.main_work_horse(None, Queue(queues.DEFAULT, connection=runtime.redis))
    assert calls == ["dispose", "job"]


def test_the_horse_never_reuses_the_parents_pooled_connection(settings, migrated, tenant):
    """A real fork: the parent holds a pooled connection; the horse must open its own."""
    from rq.job import JobStatus

    from shared.runtime import Runtime
    from tests.jobs import sample_jobs

    runtime = Runtime(settings)  # a fresh pool holding exactly the parent's one connection
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with runtime.engine.connect() as conn:
            parent_pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
        jobs = [sample_jobs.backend_pid.enqueue(runtime, tenant.id) for _ in range(2)]
        Worker([queues.DEFAULT], runtime=runtime).work(burst=True)
        assert [j.get_status(refresh=True) for j in jobs] == [JobStatus.FINISHED] * 2
        assert parent_pid not in {j.return_value() for j in jobs}
        with runtime.engine.connect() as conn:  # the parent's connection survived the horses
            assert conn.exec_driver_sql("select pg_backend_pid()").scalar() == parent_pid
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        runtime.dispose()


def test_worker_cli_refuses_unknown_queues(worker_env):
    result = subprocess.run(
        [sys.executable, "-m", "jobs.worker", "--burst", "nope"],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown queue" in result.stderr
