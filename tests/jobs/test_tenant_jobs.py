"""The tenant job decorator, run in-process and by a real worker process (rq 3 smoke test)."""

from __future__ import annotations

import uuid

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from jobs import decorators, queues
from jobs.decorators import MissingTenant, is_skipped, skipped, tenant_job
from tests.jobs import sample_jobs
from tests.jobs.helpers import audit_entries, suspend


def test_enqueue_stores_tenant_id_in_meta_and_binds_queue_and_limits(rt, tenant):
    job = sample_jobs.record_ping.enqueue(rt, tenant.id)
    fetched = Job.fetch(job.id, connection=rt.redis)
    assert fetched.meta["tenant_id"] == tenant.id
    assert fetched.args == (tenant.id,)
    assert fetched.origin == queues.DEFAULT
    assert fetched.timeout == 30
    assert fetched.result_ttl == 600


def test_enqueue_accepts_a_redis_connection_as_well_as_a_runtime(rt, tenant):
    job = sample_jobs.record_ping.enqueue(rt.redis, tenant.id, "other")
    assert Queue(queues.DEFAULT, connection=rt.redis).job_ids == [job.id]
    assert job.args == (tenant.id, "other")


@pytest.mark.parametrize("bad", [None, "", "not-a-uuid", "t_0123456789abcdef"])
def test_enqueue_without_a_tenant_id_is_refused(rt, bad):
    with pytest.raises(MissingTenant):
        sample_jobs.record_ping.enqueue(rt, bad)
    assert Queue(queues.DEFAULT, connection=rt.redis).count == 0


def test_a_tenant_job_called_without_tenant_id_refuses_to_run(rt):
    with pytest.raises(MissingTenant):
        sample_jobs.record_ping()


def test_direct_call_runs_inside_the_tenant_schema(rt, tenant, other_tenant):
    entry_id = sample_jobs.record_ping(tenant.id, "direct")
    assert [e.id for e in audit_entries(rt, tenant.id, "job.direct")] == [entry_id]
    assert audit_entries(rt, other_tenant.id, "job.direct") == []


def test_unknown_tenant_is_skipped_not_failed(rt):
    assert sample_jobs.record_ping(str(uuid.uuid4())) == skipped("not_found")


def test_unknown_queue_is_refused_at_decoration():
    with pytest.raises(ValueError):
        tenant_job(queue="nope")
    with pytest.raises(ValueError):
        decorators.job(queue="nope")


def test_allowed_statuses_can_include_suspended(rt, client, operator_headers, tenant):
    @tenant_job(statuses={"active", "suspended"})
    def touch(tenant_id):
        return tenant_id

    suspend(client, operator_headers, tenant.id)
    assert touch(tenant.id) == tenant.id
    assert sample_jobs.record_ping(tenant.id) == skipped("suspended")


# --------------------------------------------------------------------------- real worker process


def test_worker_process_runs_a_tenant_job_in_the_tenant_schema(rt, tenant, run_worker):
    job = sample_jobs.record_ping.enqueue(rt, tenant.id, "smoke")
    run_worker(queues.DEFAULT)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.meta["tenant_id"] == tenant.id
    entries = audit_entries(rt, tenant.id, "job.smoke")
    assert [(e.id, e.entity_id) for e in entries] == [(job.return_value(), job.id)]


def test_worker_refuses_a_tenant_job_enqueued_without_tenant_id(rt, tenant, run_worker):
    q = Queue(queues.DEFAULT, connection=rt.redis)
    no_args = q.enqueue(sample_jobs.record_ping)
    no_meta = q.enqueue(sample_jobs.record_ping, tenant.id, "nometa")
    run_worker(queues.DEFAULT)
    for job in (no_args, no_meta):
        job.refresh()
        assert job.get_status() == JobStatus.FAILED
        assert "MissingTenant" in job.latest_result().exc_string
    assert audit_entries(rt, tenant.id, "job.nometa") == []


def test_suspended_tenant_job_is_skipped_by_the_worker(
    rt, client, operator_headers, tenant, run_worker
):
    job = sample_jobs.record_ping.enqueue(rt, tenant.id, "suspended")
    suspend(client, operator_headers, tenant.id)
    run_worker(queues.DEFAULT)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert is_skipped(job.return_value())
    assert job.return_value() == skipped("suspended")
    assert audit_entries(rt, tenant.id, "job.suspended") == []


def test_worker_runs_a_plain_control_plane_job(rt, run_worker):
    job = sample_jobs.set_marker.enqueue(rt, "test:marker", "ran")
    assert job.origin == queues.MAINTENANCE
    run_worker(queues.MAINTENANCE)
    assert rt.redis.get("test:marker") == b"ran"
