"""SPEC §8, Redis outages: tenant writes keep working (the tenant version and write-freeze reads
fail open), and a tenant move refuses to start, or aborts, while Redis is unavailable."""

from __future__ import annotations

import pytest
import redis

from shared import freeze
from shared.runtime import Runtime
from tests.messaging.conftest import free_port
from tests.scale.conftest import LEAD
from tests.support import ApiClient, signup


def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: connection refused


@pytest.fixture()
def no_redis_app(settings, migrated):
    from wsgi import create_wsgi

    rt = Runtime(settings.replace(redis_url=dead_redis_url()))
    try:
        yield create_wsgi(rt.settings, runtime=rt), rt
    finally:
        rt.dispose()


def test_is_frozen_fails_open_when_redis_is_unreachable():
    client = redis.Redis.from_url(dead_redis_url(), socket_connect_timeout=1)
    assert freeze.is_frozen(client, "00000000-0000-0000-0000-000000000001") is False
    with pytest.raises(freeze.FreezeUnavailable):
        freeze.require_frozen(client, "00000000-0000-0000-0000-000000000001")
    with pytest.raises(freeze.FreezeUnavailable):
        freeze.require_redis(client)


def test_tenant_writes_keep_working_while_redis_is_down(wsgi_app, no_redis_app):
    tenant = signup(ApiClient(wsgi_app))  # made while Redis was up
    app, _ = no_redis_app
    client = ApiClient(app)
    resp = client.patch(
        tenant.url("/admin/settings"),
        json={"company_name": "Still Writing"},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert (
        client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()["company_name"]
        == "Still Writing"
    )
    created = client.post(tenant.url("/leads"), json=LEAD)  # a public write
    assert created.status_code == 201, created.get_data(as_text=True)
