"""GET /v1/ops/jobs: queue depths, failed registries and heartbeats, operators only."""

import time

from rq.job import Job

from jobs import queues
from jobs.heartbeat import SCHEDULER, WORKER, beat


def _queue_row(data, name):
    return next(q for q in data["queues"] if q["name"] == name)


def test_reports_depths_failed_and_heartbeats(client, runtime, operator_headers):
    email = queues.queue(queues.EMAIL, runtime)
    for _ in range(2):
        email.enqueue("jobs.heartbeat.pipeline_heartbeat")
    maintenance = queues.queue(queues.MAINTENANCE, runtime)
    failed = Job.create("jobs.heartbeat.pipeline_heartbeat", connection=runtime.redis)
    failed.origin = queues.MAINTENANCE
    failed.save()
    maintenance.failed_job_registry.add(failed, ttl=600, exc_string="boom")
    now = time.time()
    beat(runtime.redis, WORKER, "w-1", now=now - 5)
    beat(runtime.redis, SCHEDULER, "s-1", now=now - 2)

    resp = client.get("/v1/ops/jobs", headers=operator_headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert [q["name"] for q in data["queues"]] == list(queues.ALL)
    assert _queue_row(data, queues.EMAIL)["depth"] == 2
    assert _queue_row(data, queues.EMAIL)["failed"] == 0
    assert _queue_row(data, queues.MAINTENANCE)["failed"] == 1
    assert _queue_row(data, queues.MAINTENANCE)["depth"] == 0
    beats = data["heartbeats"]
    assert [w["name"] for w in beats["workers"]] == ["w-1"]
    assert 4 <= beats["workers"][0]["age"] < 60
    assert beats["scheduler_ok"] is True


def test_refuses_tenant_tokens_and_anonymous(client, tenant):
    assert client.get("/v1/ops/jobs").status_code == 401
    assert client.get("/v1/ops/jobs", headers=tenant.headers).status_code == 403
