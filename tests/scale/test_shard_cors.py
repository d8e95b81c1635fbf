"""A tenant's booking-site origins are read from the shard its row names."""

from __future__ import annotations

from shared.runtime import Runtime
from tests.scale.conftest import tenant_row
from tests.support import ApiClient, signup

APP = "https://app.cleanplane.example"
BOOKING = "https://book.east.example"


def test_booking_origin_of_a_tenant_on_east_is_allowed(sharded_runtime, sclient):
    from wsgi import create_wsgi

    tenant = signup(sclient)
    assert tenant_row(sharded_runtime, tenant.slug).shard == "east"
    resp = sclient.patch(
        tenant.url("/admin/settings"), json={"booking_origins": [BOOKING]}, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    rt = Runtime(sharded_runtime.settings.replace(strict_cors=True, cors_origins=[APP]))
    try:
        strict = ApiClient(create_wsgi(rt.settings, runtime=rt))
        ok = strict.get(tenant.url("/company"), headers={"Origin": BOOKING})
        assert ok.status_code == 200
        assert ok.headers.get("Access-Control-Allow-Origin") == BOOKING
        other = strict.get(tenant.url("/company"), headers={"Origin": "https://evil.example"})
        assert other.headers.get("Access-Control-Allow-Origin") is None
    finally:
        for engine in (rt.engine, rt.owner_engine, rt.shard_engine("east")):
            engine.dispose()
