"""Public tenant endpoints are limited per client IP and per tenant; Redis down keeps serving."""

from __future__ import annotations

import pytest

from shared.runtime import Runtime
from tests.ops.redis_server import RedisServer
from tests.support import ApiClient, signup


@pytest.fixture()
def make_client(runtime):
    runtimes = []

    def make(**changes) -> ApiClient:
        from wsgi import create_wsgi

        rt = Runtime(runtime.settings.replace(**changes))
        runtimes.append(rt)
        return ApiClient(create_wsgi(rt.settings, runtime=rt))

    yield make
    for rt in runtimes:
        rt.dispose()


def _company(client, tenant, ip: str, **kw):
    return client.get(tenant.url("/company"), environ_base={"REMOTE_ADDR": ip}, **kw)


def test_public_endpoint_is_limited_per_ip_at_the_boundary(make_client, tenant):
    client = make_client(rate_limit_public="3/minute", rate_limit_public_tenant="1000/minute")
    codes = [_company(client, tenant, "192.0.2.1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = _company(client, tenant, "192.0.2.1")
    assert refused.get_json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another visitor still gets in; staff endpoints are not on the public budget.
    assert _company(client, tenant, "192.0.2.2").status_code == 200
    for _ in range(4):
        staff = client.get(
            tenant.url("/admin/settings"),
            headers=tenant.headers,
            environ_base={"REMOTE_ADDR": "192.0.2.1"},
        )
        assert staff.status_code == 200


def test_one_tenants_visitors_do_not_use_another_tenants_budget(make_client, tenant, client):
    other = signup(client)
    limited = make_client(rate_limit_public="2/minute", rate_limit_public_tenant="1000/minute")
    assert [_company(limited, tenant, "192.0.2.9").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert _company(limited, other, "192.0.2.9").status_code == 200


def test_public_endpoints_are_limited_per_tenant_across_ips(make_client, tenant, client):
    other = signup(client)
    limited = make_client(rate_limit_public="1000/minute", rate_limit_public_tenant="4/minute")
    codes = [_company(limited, tenant, f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    # The budget is the tenant's own: another tenant is unaffected.
    assert _company(limited, other, "198.51.100.1").status_code == 200


def test_spoofed_forwarded_for_does_not_buy_a_fresh_budget(make_client, tenant):
    limited = make_client(
        rate_limit_public="2/minute",
        rate_limit_public_tenant="1000/minute",
        trusted_proxy_cidrs=["10.0.0.0/8"],
    )
    spoofed = [
        _company(limited, tenant, "203.0.113.5", headers={"X-Forwarded-For": f"192.0.2.{i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in spoofed] == [200, 200, 429]
    via_proxy = [
        _company(limited, tenant, "10.0.0.1", headers={"X-Forwarded-For": f"192.0.2.{50 + i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in via_proxy] == [200, 200, 200]


def test_redis_outage_falls_back_to_memory_and_keeps_serving(make_client, tenant):
    server = RedisServer().start()
    try:
        client = make_client(
            redis_url=server.url,
            rate_limit_public="3/minute",
            rate_limit_public_tenant="1000/minute",
        )
        assert [_company(client, tenant, "192.0.2.30").status_code for _ in range(4)] == [
            200,
            200,
            200,
            429,
        ]
        keys = [k.decode() for k in server.client().keys("*")]
        limit_keys = [k for k in keys if "tenant-limits" in k]
        assert limit_keys and all(tenant.id in k for k in limit_keys)
        assert not any(tenant.slug in k for k in keys)  # keyed by tenant id, never the slug
    finally:
        server.stop()

    # Redis is gone: the limiter counts in memory and the API keeps answering.
    codes = [_company(client, tenant, "192.0.2.30").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    staff = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert staff.status_code == 200
    assert client.get("/healthz").status_code == 200


def test_public_operations_are_detected_from_the_guard(wsgi_app):
    from shared.auth.guards import is_public_operation

    app = wsgi_app.tenant_app
    with app.test_request_context("/v1/company"):
        assert is_public_operation()
        assert not is_public_operation("POST")  # no such method: never public
    with app.test_request_context("/v1/admin/settings"):
        assert not is_public_operation()
    with app.test_request_context("/v1/slots"):
        assert is_public_operation()


def test_during_a_redis_outage_tenant_changes_still_apply_within_a_second(make_client, client, rt):
    import time

    from controlplane.tenants.lifecycle import change_status
    from shared import db
    from shared.tenancy import OUTAGE_TTL

    tenant = signup(client)
    server = RedisServer().start()
    server.stop()  # this app's Redis is down from the start
    down = make_client(redis_url=server.url)
    assert _company(down, tenant, "192.0.2.40").status_code == 200
    change_status(tenant.id, "suspended", actor="test", reason="outage drill")
    db.close_session()
    time.sleep(OUTAGE_TTL + 0.1)
    assert _company(down, tenant, "192.0.2.40").status_code == 404
