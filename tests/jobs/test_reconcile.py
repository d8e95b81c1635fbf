"""The reconcile rebuilds the due-work index from the tenant schemas, in batches of ≥ 500."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from rq import Queue
from rq.job import Job

from jobs import duework, queues, reconcile
from jobs.dispatch import dispatch_due
from jobs.reconcile import reconcile_due_work, reconcile_tenants
from tests.jobs.conftest import ROOT
from tests.jobs.duework_support import add_tomb, tomb_count
from tests.jobs.helpers import suspend


def maintenance_jobs(redis, func_name: str) -> list[Job]:
    q = Queue(queues.MAINTENANCE, connection=redis)
    jobs = [Job.fetch(job_id, connection=redis) for job_id in q.job_ids]
    return [j for j in jobs if j.func_name == func_name]


def test_idle_tenants_get_no_entry(rt, tenant, other_tenant):
    result = reconcile_tenants([tenant.id, other_tenant.id])
    assert result == {"tenants": 2, "entries": 0, "skipped": 0, "failed": 0}
    assert duework.entries(rt.redis) == {}


def test_a_lost_signal_is_found_by_the_reconcile(rt, tenant, other_tenant):
    add_tomb(rt, tenant.id, signal=False)
    assert duework.entries(rt.redis) == {}
    result = reconcile_tenants([tenant.id, other_tenant.id])
    assert result["entries"] == 1
    assert set(duework.entries(rt.redis)) == {("janitor", tenant.id)}


def test_the_reconcile_never_postpones_an_earlier_signal(rt, tenant):
    add_tomb(rt, tenant.id, signal=False)
    duework.signal(rt.redis, tenant.id, "janitor", 1000)
    reconcile_tenants([tenant.id])
    assert duework.entries(rt.redis) == {("janitor", tenant.id): 1000.0}


def test_suspended_tenants_are_skipped(rt, client, operator_headers, tenant):
    add_tomb(rt, tenant.id, signal=False)
    suspend(client, operator_headers, tenant.id)
    assert reconcile_tenants([tenant.id])["skipped"] == 1
    assert duework.entries(rt.redis) == {}


def test_one_failing_tenant_does_not_stop_the_batch(rt, tenant, other_tenant, monkeypatch):
    add_tomb(rt, other_tenant.id, signal=False)
    real = reconcile.next_due_times
    calls = []

    def flaky(now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("schema missing")
        return real(now)

    monkeypatch.setattr(reconcile, "next_due_times", flaky)
    result = reconcile_tenants([tenant.id, other_tenant.id])
    assert result["failed"] == 1 and result["tenants"] == 1
    assert set(duework.entries(rt.redis)) == {("janitor", other_tenant.id)}


def test_the_reconcile_enqueues_one_job_per_batch_not_per_tenant(rt, tenant, other_tenant):
    result = reconcile_due_work()
    assert result["batches"] == 1 and result["tenants"] >= 2
    [batch] = maintenance_jobs(rt.redis, "jobs.reconcile.reconcile_batch")
    assert {tenant.id, other_tenant.id} <= set(batch.args[0])


@pytest.mark.parametrize("size, ok", [(499, False), (500, True)])
def test_a_batch_holds_at_least_500_tenants(rt, size, ok):
    if ok:
        assert reconcile_due_work(batch_size=size)["batches"] >= 0
    else:
        with pytest.raises(ValueError):
            reconcile_due_work(batch_size=size)


def test_a_process_killed_between_commit_and_signal_still_gets_its_work_run(
    rt, tenant, worker_env, run_worker
):
    proc = subprocess.run(
        [sys.executable, "-m", "tests.jobs.killed_signal", tenant.id],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 137, proc.stderr[-3000:]
    assert tomb_count(rt, tenant.id) == 1  # committed ...
    assert duework.entries(rt.redis) == {}  # ... but never signalled
    reconcile_due_work.enqueue(rt)
    run_worker(queues.MAINTENANCE)  # the reconcile, then its batch job
    assert ("janitor", tenant.id) in duework.entries(rt.redis)
    assert dispatch_due(rt.redis, time.time())["enqueued"] >= 1  # (earlier tests' tenants too)
    run_worker(queues.MAINTENANCE)
    assert tomb_count(rt, tenant.id) == 0
    assert ("janitor", tenant.id) not in duework.entries(rt.redis)
