"""Drill: the app's Redis stops and comes back under load.

Rate limits fall back to memory and tenant rows are re-read from Postgres while Redis is away
(shared/limits.py, shared/tenancy.py); queued RQ jobs survive a planned restart and new ones are
accepted on the same connection pool afterwards."""

from __future__ import annotations

import pytest

from shared.runtime import Runtime
from tests.drills.support import Load, run_burst_worker, worker_env
from tests.jobs import sample_jobs
from tests.jobs.helpers import audit_entries
from tests.support import ApiClient, signup

pytestmark = pytest.mark.slow


def test_api_keeps_serving_and_jobs_run_across_a_redis_restart(settings, migrated, own_redis):
    from wsgi import create_wsgi

    rt = Runtime(settings.replace(redis_url=own_redis.url))
    try:
        app = create_wsgi(rt.settings, runtime=rt)
        tenant = signup(ApiClient(app))
        requests = [
            (tenant.url("/admin/settings"), tenant.headers),
            ("/v1/tenant", tenant.headers),
            (tenant.url("/company"), {}),
        ]
        with Load(app, requests) as load:
            load.wait_for_more(30)
            queued = sample_jobs.record_ping.enqueue(rt, tenant.id, "before-restart")

            own_redis.stop(save=True)
            before = load.total()
            load.wait_for_more(60)  # Redis is down: the API goes on
            assert load.total() - before >= 60

            own_redis.start()
            load.wait_for_more(60)
            after = sample_jobs.record_ping.enqueue(rt, tenant.id, "after-restart")
            load.wait_for_more(30)

        assert load.bodies == []
        assert set(load.statuses) == {200}, load.statuses
        assert rt.tenants._redis_down is False  # noticed Redis is back

        run_burst_worker(worker_env(rt.settings))
        assert len(audit_entries(rt, tenant.id, "job.before-restart")) == 1
        assert len(audit_entries(rt, tenant.id, "job.after-restart")) == 1
        assert queued.id != after.id
    finally:
        rt.dispose()
