"""The console's Plan and billing page (SPEC §4.5): finance permission, usage bars, Upgrade
through Stripe Checkout (the stand-in), Manage billing (portal), the past_due grace banner."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from controlplane.billing.models import BillingAccount
from shared.auth.passwords import Passwords
from shared.models.accounts import Membership, User
from tests.owner_pages.helpers import csrf_of, post_form
from tests.support import PASSWORD, signup


def _console_sign_in(client, email: str) -> None:
    resp = post_form(client, "/login", email=email, password=PASSWORD)
    assert resp.status_code == 303, resp.text


def _member(rt, tenant, role: str) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    pw = Passwords(rt.settings).hash(PASSWORD)
    with rt.owner_engine.begin() as conn:
        user_id = conn.scalar(insert(User).values(email=email, password_hash=pw).returning(User.id))
        conn.execute(insert(Membership).values(tenant_id=tenant.id, user_id=user_id, role=role))
    return email


def _billing(tenant) -> str:
    return f"/t/{tenant.slug}/console/settings/billing"


def test_the_owner_sees_plan_usage_bars_and_upgrades(client, tenant):
    _console_sign_in(client, tenant.email)
    page = client.get(_billing(tenant))
    assert page.status_code == 200, page.text
    html = page.text
    assert "Plan and billing" in html and 'id="plan-name">Free<' in html
    for label in ("Bookings", "Workers", "Photo storage", "Text message segments"):
        assert f">{label}</span>" in html
    assert html.count("<progress") == 4
    assert 'value="pro"' in html and 'value="business"' in html
    assert "Manage billing" not in html  # no Stripe customer before the first Checkout
    assert "grace-banner" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "style=" not in html and "unsafe-inline" not in csp
    # The Upgrade form is redirected to Checkout: form-action must allow Stripe's pages.
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com" in csp


def test_upgrade_goes_to_stripe_checkout_and_comes_back_to_the_page(client, tenant, stripe_stub):
    _console_sign_in(client, tenant.email)
    page = client.get(_billing(tenant))
    resp = client.post(
        _billing(tenant) + "/upgrade", data={"csrf_token": csrf_of(page.text), "plan": "pro"}
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("https://checkout.stripe.test/")
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.form["metadata[plan]"] == "pro"
    assert call.form["success_url"].endswith(
        f"/t/{tenant.slug}/console/settings/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    )
    back = client.get(_billing(tenant) + "?checkout=success&session_id=cs_test_1")
    assert "Your new plan starts" in back.text


def test_an_unknown_plan_is_the_apis_422_on_the_page(client, tenant):
    _console_sign_in(client, tenant.email)
    page = client.get(_billing(tenant))
    resp = client.post(
        _billing(tenant) + "/upgrade", data={"csrf_token": csrf_of(page.text), "plan": "gold"}
    )
    assert resp.status_code == 422
    assert 'id="billing-error"' in resp.text


def test_manage_billing_opens_the_portal_and_past_due_shows_the_grace_banner(
    client, rt, tenant, stripe_stub
):
    since = datetime.now(UTC) - timedelta(days=1)
    with rt.owner_engine.begin() as conn:
        conn.execute(
            insert(BillingAccount).values(
                tenant_id=tenant.id,
                stripe_customer_id="cus_test_9",
                subscription_status="past_due",
                subscription_plan="pro",
                delinquent_since=since,
            )
        )
    _console_sign_in(client, tenant.email)
    page = client.get(_billing(tenant))
    assert 'id="grace-banner"' in page.text
    grace_end = (since + timedelta(days=rt.settings.billing_grace_days)).strftime("%-d %B %Y")
    assert f"before {grace_end}" in page.text
    assert "Payment overdue" in page.text
    resp = client.post(_billing(tenant) + "/portal", data={"csrf_token": csrf_of(page.text)})
    assert resp.status_code == 303
    (call,) = stripe_stub.calls("/v1/billing_portal/sessions")
    assert call.form["customer"] == "cus_test_9"
    assert call.form["return_url"].endswith(f"/t/{tenant.slug}/console/settings/billing")


def test_manage_billing_before_any_checkout_is_the_apis_409(client, tenant):
    _console_sign_in(client, tenant.email)
    page = client.get(_billing(tenant))
    resp = client.post(_billing(tenant) + "/portal", data={"csrf_token": csrf_of(page.text)})
    assert resp.status_code == 409
    assert "subscribe with Checkout first" in resp.text


def test_finance_permission_is_needed(client, rt, tenant):
    finance = _member(rt, tenant, "finance")
    _console_sign_in(client, finance)
    assert client.get(_billing(tenant)).status_code == 200
    dispatcher = _member(rt, tenant, "dispatcher")
    _console_sign_in(client, dispatcher)
    refused = client.get(_billing(tenant))
    assert refused.status_code == 403
    assert "finance" in refused.text


def test_posts_without_the_sessions_token_are_refused(client, tenant, stripe_stub):
    _console_sign_in(client, tenant.email)
    resp = client.post(_billing(tenant) + "/upgrade", data={"plan": "pro"})
    assert resp.status_code == 403
    assert stripe_stub.calls("/v1/checkout/sessions") == []


def test_another_workspaces_session_does_not_open_this_page(client, tenant):
    other = signup(client)
    _console_sign_in(client, other.email)
    resp = client.get(_billing(tenant))
    assert resp.status_code == 303
    assert re.search(rf"/t/{tenant.slug}/console/login", resp.headers["Location"])
