"""Plan limits at their boundary for each metric, on free and after upgrading."""

from __future__ import annotations

import pytest

from shared import db
from shared.entitlements import consume
from shared.errors import LimitReached
from tests.billing.conftest import post_event
from tests.billing.helpers import Story

GIB = 1024**3
LIMITS = {
    "free": {
        "active_workers": 3,
        "bookings_created": 20,
        "storage_bytes": GIB,
        "sms_segments": 50,
    },
    "pro": {
        "active_workers": 50,
        "bookings_created": 500,
        "storage_bytes": 20 * GIB,
        "sms_segments": 1000,
    },
    "business": {
        "active_workers": 500,
        "bookings_created": 5000,
        "storage_bytes": 200 * GIB,
        "sms_segments": 10_000,
    },
}


@pytest.mark.parametrize("plan", ["free", "pro", "business"])
@pytest.mark.parametrize(
    "metric", ["active_workers", "bookings_created", "storage_bytes", "sms_segments"]
)
def test_limit_boundary(client, rt, tenant, plan, metric):
    if plan != "free":
        story = Story(tenant.id, plan=plan)
        post_event(client, story.checkout_completed())
    ref = rt.tenants.by_id(tenant.id)
    assert ref.plan == plan
    limit = LIMITS[plan][metric]
    with db.transaction() as tx:
        assert consume(tx, ref, metric, limit - 1) == limit - 1
    with db.transaction() as tx:
        assert consume(tx, ref, metric, 1) == limit  # the last unit fits exactly
    with pytest.raises(LimitReached) as err, db.transaction() as tx:
        consume(tx, ref, metric, 1)
    db.close_session()
    problem = err.value
    assert problem.status == 402 and problem.code == "limit_reached"
    assert problem.extra["metric"] == metric
    assert problem.extra["limit"] == limit and problem.extra["used"] == limit
    status = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert status["limits"][metric] == limit and status["usage"][metric] == limit


def test_api_requests_are_metered_but_not_limited(rt, tenant):
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        assert consume(tx, ref, "api_requests", 10_000_000) == 10_000_000
    db.close_session()
