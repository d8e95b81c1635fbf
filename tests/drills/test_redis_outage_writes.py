"""Drill (SPEC §8): the app's Redis stops; tenant writes keep working (the write-freeze and tenant
version reads fail open) and a tenant move is refused until Redis is back."""

from __future__ import annotations

import pytest

from shared.runtime import Runtime
from tests.support import ApiClient, signup

pytestmark = pytest.mark.slow


def test_tenant_writes_keep_working_while_redis_is_stopped(settings, migrated, own_redis):
    from wsgi import create_wsgi

    rt = Runtime(settings.replace(redis_url=own_redis.url))
    try:
        app = create_wsgi(rt.settings, runtime=rt)
        client = ApiClient(app)  # fails on any 500
        tenant = signup(client)
        own_redis.stop()
        for i in range(20):
            resp = client.patch(
                tenant.url("/admin/settings"),
                json={"company_name": f"Outage {i}"},
                headers=tenant.headers,
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)
        teams = client.get(tenant.url("/admin/teams"), headers=tenant.headers)
        assert teams.status_code == 200
        body = {"teams": [{"id": t["id"], "name": t["name"]} for t in teams.get_json()["items"]]}
        body["teams"].append({"name": "Night shift"})
        assert (
            client.put(tenant.url("/admin/teams"), json=body, headers=tenant.headers).status_code
            == 200
        )

        own_redis.start()
        after = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
        assert after.get_json()["company_name"] == "Outage 19"
    finally:
        rt.dispose()
