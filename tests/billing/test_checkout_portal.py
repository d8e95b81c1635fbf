"""Checkout, portal and status against the local Stripe stand-in."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import insert

from shared.auth.passwords import Passwords
from shared.models.accounts import Membership, User
from tests.billing.conftest import post_event
from tests.billing.helpers import Story
from tests.support import PASSWORD


def _member_headers(client, runtime, tenant, role) -> dict:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    pw = Passwords(runtime.settings).hash(PASSWORD)
    with runtime.owner_engine.begin() as conn:
        uid = conn.scalar(insert(User).values(email=email, password_hash=pw).returning(User.id))
        conn.execute(insert(Membership).values(tenant_id=tenant.id, user_id=uid, role=role))
    token = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}


def test_checkout_creates_a_subscription_session(client, tenant, stripe_stub):
    resp = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    url = resp.get_json()["checkout_url"]
    assert url.startswith("https://checkout.stripe.test/")
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    form = call.form
    assert form["mode"] == "subscription"
    assert form["metadata[tenant_id]"] == tenant.id and form["metadata[plan]"] == "pro"
    assert form["subscription_data[metadata][tenant_id]"] == tenant.id
    assert form["line_items[0][price]"] == "price_pro_test"
    assert form["client_reference_id"] == tenant.id
    assert form["customer_email"] == tenant.email
    assert int(form["expires_at"]) - int(time.time()) >= 30 * 60
    assert call.idempotency_key and call.idempotency_key.startswith(f"checkout-{tenant.id}-pro-")
    assert call.headers["authorization"] == "Bearer sk_test_dev"
    # Stripe sends the owner back to the workspace's own Plan and billing page, which exists.
    back = f"http://localhost:8000/t/{tenant.slug}/console/settings/billing"
    assert form["success_url"] == f"{back}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    assert form["cancel_url"] == f"{back}?checkout=cancelled"
    page = client.get(f"/t/{tenant.slug}/console/settings/billing?checkout=cancelled")
    assert page.status_code == 303  # a console page: signed out, it asks for the sign-in first
    assert page.headers["Location"].startswith(f"/t/{tenant.slug}/console/login?next=")


def test_double_click_gives_the_same_session(client, tenant, stripe_stub):
    first = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    again = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert first.get_json()["checkout_url"] == again.get_json()["checkout_url"]
    keys = {c.idempotency_key for c in stripe_stub.calls("/v1/checkout/sessions")}
    assert len(keys) == 1


def test_client_idempotency_key_is_used(client, tenant, stripe_stub):
    headers = {**tenant.headers, "Idempotency-Key": "abc-123"}
    client.post("/v1/billing/checkout", json={"plan": "business"}, headers=headers)
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.idempotency_key == f"checkout-{tenant.id}-business-abc-123"
    assert "expires_at" not in call.form


def test_checkout_refuses_free_unknown_and_missing_plan(client, tenant, stripe_stub):
    for body in ({"plan": "free"}, {"plan": "gold"}, {}):
        resp = client.post("/v1/billing/checkout", json=body, headers=tenant.headers)
        assert resp.status_code == 422, body
    assert stripe_stub.requests == []


def test_checkout_needs_finance_permission(client, runtime, tenant):
    viewer = _member_headers(client, runtime, tenant, "viewer")
    finance = _member_headers(client, runtime, tenant, "finance")
    assert (
        client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=viewer).status_code == 403
    )
    assert (
        client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=finance).status_code
        == 200
    )
    assert client.get("/v1/billing/status", headers=viewer).status_code == 200


def test_stripe_failure_is_503(client, tenant, stripe_stub):
    stripe_stub.fail_next(3)  # the SDK retries twice
    resp = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert resp.status_code == 503
    assert resp.get_json()["code"] == "payment_provider_unavailable"
    assert len(stripe_stub.calls("/v1/checkout/sessions")) == 3
    keys = {c.idempotency_key for c in stripe_stub.calls("/v1/checkout/sessions")}
    assert len(keys) == 1  # the retries reuse the key


def test_checkout_with_a_live_subscription_is_409(client, tenant):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    resp = client.post("/v1/billing/checkout", json={"plan": "business"}, headers=tenant.headers)
    assert resp.status_code == 409


def test_portal_before_a_customer_is_409_then_gives_a_url(client, tenant, stripe_stub):
    assert client.post("/v1/billing/portal", headers=tenant.headers).status_code == 409
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    resp = client.post("/v1/billing/portal", headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.get_json()["url"].startswith("https://billing.stripe.test/")
    (call,) = stripe_stub.calls("/v1/billing_portal/sessions")
    assert call.form["customer"] == story.customer
    assert call.form["return_url"].endswith(f"/t/{tenant.slug}/console/settings/billing")


def test_checkout_after_linking_reuses_the_customer(client, tenant, stripe_stub):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("deleted", "canceled", dt=1))
    client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.form["customer"] == story.customer and "customer_email" not in call.form


def test_status_shows_subscription_and_period_end(client, tenant):
    before = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert before["plan"] == "free" and before["subscription_status"] is None
    assert before["drift"] == {
        "bookings_created": 0,
        "active_workers": 0,
        "storage_bytes": 0,
        "api_requests": 0,
        "sms_segments": 0,
    }
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    after = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert after["plan"] == "pro" and after["subscription_status"] == "active"
    end = datetime.fromtimestamp(story.t0 + 30 * 86400, UTC)
    assert datetime.fromisoformat(after["current_period_end"]) == end
    assert after["limits"]["active_workers"] == 50


def test_billing_endpoints_only_show_the_callers_tenant(client, tenant, other_tenant):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    theirs = client.get("/v1/billing/status", headers=other_tenant.headers).get_json()
    assert theirs["plan"] == "free" and theirs["subscription_status"] is None
    assert client.post("/v1/billing/portal", headers=other_tenant.headers).status_code == 409


def test_a_refused_request_does_not_count_against_the_circuit(client, tenant, stripe_stub):
    from shared import circuit

    stripe_stub.fail_next(6, status=400)
    for _ in range(6):
        resp = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
        assert resp.status_code == 503
    assert len(stripe_stub.calls("/v1/checkout/sessions")) == 6  # no retries of a 400
    assert circuit.breaker("stripe").current_state == "closed"
    ok = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert ok.status_code == 200


def test_repeated_outages_open_the_circuit(client, tenant, stripe_stub):
    from shared import circuit

    stripe_stub.fail_next(100)
    for _ in range(5):
        client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    sent = len(stripe_stub.calls("/v1/checkout/sessions"))
    assert circuit.breaker("stripe").current_state == "open"
    resp = client.post("/v1/billing/checkout", json={"plan": "pro"}, headers=tenant.headers)
    assert resp.status_code == 503
    assert len(stripe_stub.calls("/v1/checkout/sessions")) == sent  # failed fast
