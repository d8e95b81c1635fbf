"""Drill (slow): Stripe answering 500 and timing out during a plan checkout.

The client gets a 503, the tenant's billing state is exactly what it was (no half-written
subscription or customer), and once Stripe answers the same checkout works. Lives here for the
billing fixtures (stub runtime)."""

from __future__ import annotations

import pytest

from shared import stripe as stripe_mod

pytestmark = pytest.mark.slow


@pytest.fixture()
def short_stripe_timeout(monkeypatch):
    monkeypatch.setattr(stripe_mod, "READ_TIMEOUT", 0.5)
    stripe_mod._client.cache_clear()
    yield
    stripe_mod._client.cache_clear()


def _status(client, tenant) -> dict:
    resp = client.get("/v1/billing/status", headers=tenant.headers)
    assert resp.status_code == 200
    body = resp.get_json()
    body.pop("usage", None)  # counts this very request
    return body


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_stripe_fault_leaves_no_half_written_subscription(
    client, tenant, stripe_stub, short_stripe_timeout, fault
):
    before = _status(client, tenant)
    if fault == "500":
        stripe_stub.fail_next(3)
    else:
        stripe_stub.delay_next(3, 1.0)
    resp = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "payment_provider_unavailable"
    assert _status(client, tenant) == before
    keys = {c.idempotency_key for c in stripe_stub.calls("/v1/checkout/sessions")}
    assert len(keys) <= 1

    stripe_stub.reset()
    ok = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert ok.status_code == 200
    assert ok.get_json()["checkout_url"]
    after = _status(client, tenant)
    assert after["plan"] == before["plan"]  # a plan changes only on Stripe's webhook
    assert after["subscription_status"] == before["subscription_status"]
