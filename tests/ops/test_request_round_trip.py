"""A tenant-app request costs one Redis round trip (SPEC §10): tenant version, public budgets,
write freeze and the usage meter are pipelined together; the limits stay exact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis

from shared.runtime import Runtime
from shared.usage import BUCKET_PREFIX, PENDING_KEY, minute_bucket
from tests.support import ApiClient, signup

ESTIMATE = {"beds": 3, "baths": 1.5, "service_type": "deep"}


class CountingConnection(redis.Connection):
    """Counts what is sent: a pipeline's commands go out in one packed send, one round trip."""

    sent = 0

    def send_packed_command(self, command, check_health=True):
        CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


@pytest.fixture()
def counted(runtime):
    """A client whose runtime's Redis counts round trips, with the given settings changes."""
    runtimes = []

    def make(**changes) -> ApiClient:
        from wsgi import create_wsgi

        rt = Runtime(runtime.settings.replace(**changes))
        rt.__dict__["redis"] = redis.Redis.from_url(
            rt.settings.redis_url, connection_class=CountingConnection
        )
        runtimes.append(rt)
        return ApiClient(create_wsgi(rt.settings, runtime=rt))

    yield make
    for rt in runtimes:
        rt.dispose()


def _round_trips(fn) -> int:
    before = CountingConnection.sent
    fn()
    return CountingConnection.sent - before


def test_public_estimate_and_slots_cost_one_redis_round_trip(counted, tenant):
    client = counted()
    client.get(tenant.url("/company"))  # the tenant row is loaded and cached once per process

    def estimate():
        assert client.post(tenant.url("/estimate"), json=ESTIMATE).status_code == 200

    def company():
        assert client.get(tenant.url("/company")).status_code == 200

    assert [_round_trips(estimate) for _ in range(3)] == [1, 1, 1]
    assert [_round_trips(company) for _ in range(3)] == [1, 1, 1]


def test_every_tenant_app_request_is_metered_exactly_once(counted, rt, tenant):
    client = counted()
    bucket = minute_bucket(datetime.now(UTC))
    before = int(rt.redis.hget(BUCKET_PREFIX + bucket, str(tenant.id)) or 0)
    for _ in range(3):
        client.post(tenant.url("/estimate"), json=ESTIMATE)
    client.get(tenant.url("/admin/settings"), headers=tenant.headers)  # staff: metered as well
    client.options(tenant.url("/estimate"))  # CORS preflight: not an API request
    if minute_bucket(datetime.now(UTC)) != bucket:
        pytest.skip("the minute rolled over mid-test")
    assert int(rt.redis.hget(BUCKET_PREFIX + bucket, str(tenant.id))) - before == 4


def test_every_window_of_a_compound_limit_counts(counted, tenant):
    client = counted(rate_limit_public="100/minute;3/hour", rate_limit_public_tenant="1000/minute")
    codes = [client.post(tenant.url("/estimate"), json=ESTIMATE).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.post(tenant.url("/estimate"), json=ESTIMATE)
    assert refused.get_json()["code"] == "rate_limited"
    assert refused.headers["Content-Type"] == "application/problem+json"
    # The hourly window is the one breached: retry after the rest of the hour, not a minute.
    assert 60 < int(refused.headers["Retry-After"]) <= 3600


def test_the_trip_reloads_its_script_and_reconnects_after_a_redis_restart(
    settings, migrated, tmp_path
):
    """The trip runs EVALSHA straight on a pooled connection: NOSCRIPT (scripts flushed) loads the
    script again, and a connection the restart broke is replaced, both within the request."""
    from tests.drills.support import OwnRedis
    from wsgi import create_wsgi

    server = OwnRedis(tmp_path)
    server.start()
    rt = Runtime(settings.replace(redis_url=server.url))
    try:
        client = ApiClient(create_wsgi(rt.settings, runtime=rt))
        tenant = signup(client)

        def metered() -> int:  # over every minute bucket: the minute may roll over mid-test
            buckets = [BUCKET_PREFIX + b.decode() for b in rt.redis.smembers(PENDING_KEY)]
            return sum(int(rt.redis.hget(b, str(tenant.id)) or 0) for b in buckets)

        def estimate():
            assert client.post(tenant.url("/estimate"), json=ESTIMATE).status_code == 200

        estimate()
        rt.redis.script_flush()
        before = metered()
        estimate()
        assert metered() == before + 1  # counted in Redis: the script ran after NOSCRIPT

        server.stop()
        server.start()  # empty again; the pool's connections are dead
        estimate()
        assert metered() == 1
        assert rt.tenants._redis_down is False
    finally:
        rt.dispose()
        server.stop()
