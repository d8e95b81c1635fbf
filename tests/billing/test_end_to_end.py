"""Signup → checkout → signed webhooks → plan active → higher limit, over HTTP."""

from __future__ import annotations

import pytest

from shared import db
from shared.entitlements import consume
from shared.errors import LimitReached
from tests.billing.conftest import post_event
from tests.stripe_stub import event, subscription
from tests.support import signup


def test_signup_checkout_webhooks_plan_active_higher_limit(client, rt, stripe_stub):
    owner = signup(client)
    status = client.get("/v1/billing/status", headers=owner.headers).get_json()
    assert status["plan"] == "free" and status["limits"]["active_workers"] == 3

    resp = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=owner.headers)
    assert resp.status_code == 200
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    metadata = {"tenant_id": call.form["metadata[tenant_id]"], "plan": call.form["metadata[plan]"]}

    ref = rt.tenants.by_id(owner.id)
    with db.transaction() as tx:
        consume(tx, ref, "active_workers", 3)
    with pytest.raises(LimitReached), db.transaction() as tx:
        consume(tx, ref, "active_workers", 1)

    # What Stripe sends once the customer pays, as Stripe would build it from our session.
    sub = subscription("sub_e2e1", "cus_e2e1", "active", "price_pro_test", **metadata)
    session = {
        "id": "cs_test_e2e",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "customer": "cus_e2e1",
        "subscription": "sub_e2e1",
        "client_reference_id": call.form["client_reference_id"],
        "metadata": metadata,
    }
    assert post_event(client, event("customer.subscription.created", sub)).status_code == 200
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200

    status = client.get("/v1/billing/status", headers=owner.headers).get_json()
    assert status["plan"] == "pro" and status["subscription_status"] == "active"
    assert status["limits"]["active_workers"] == 50
    me = client.get("/v1/tenant", headers=owner.headers).get_json()
    assert me["plan"] == "pro"

    ref = rt.tenants.by_id(owner.id)
    with db.transaction() as tx:
        assert consume(tx, ref, "active_workers", 1) == 4  # beyond free, within pro
    db.close_session()
