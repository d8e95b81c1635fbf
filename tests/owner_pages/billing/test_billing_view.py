"""What the Plan and billing page shows, through ``shared.billing_bridge`` (the control plane's
billing status, Checkout and portal) — SPEC §4.5."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from controlplane.billing.models import BillingAccount
from shared import billing_bridge
from shared.models.plans import UsageCounter
from shared.tenancy import tenant_context
from tenantapp.ownerbilling import view


def _ref(rt, tenant):
    return rt.tenants.by_id(tenant.id)


def test_usage_bars_show_each_limit_with_the_drift(client, rt, tenant):
    ref = _ref(rt, tenant)
    with tenant_context(ref):
        page = view.billing_page(ref)
    bars = {b["metric"]: b for b in page["bars"]}
    assert list(bars) == ["bookings_created", "active_workers", "storage_bytes", "sms_segments"]
    assert bars["bookings_created"]["limit"] > 0 and bars["bookings_created"]["used"] == 0
    assert all(b["drift"] == 0 for b in bars.values()) and not page["drifting"]
    assert page["billing"]["plan"] == "free"
    assert [p.code for p in page["upgrades"]][:2] == ["pro", "business"]
    assert not page["past_due"] and not page["can_manage"]


def test_the_bar_levels_at_their_boundaries(rt):
    limits = {
        "bookings_created": 10,
        "active_workers": 5,
        "storage_bytes": None,
        "sms_segments": 50,
    }
    used = {"bookings_created": 8, "active_workers": 5, "storage_bytes": 3 * 1024**3}
    status = {
        "limits": limits,
        "usage": {**used, "sms_segments": 39},
        "drift": {"bookings_created": 2},
    }
    bars = {b["metric"]: b for b in view.usage_bars(status)}
    assert (bars["bookings_created"]["percent"], bars["bookings_created"]["level"]) == (80, "warn")
    assert bars["sms_segments"]["level"] == "ok"  # 78 %
    assert (bars["active_workers"]["percent"], bars["active_workers"]["level"]) == (100, "full")
    assert bars["storage_bytes"]["limit"] is None and bars["storage_bytes"]["used_text"] == "3.0 GB"
    assert bars["bookings_created"]["drift"] == 2


def test_past_due_shows_the_grace_end(client, rt, tenant):
    since = datetime.now(UTC) - timedelta(days=2)
    with rt.owner_engine.begin() as conn:
        conn.execute(
            insert(BillingAccount).values(
                tenant_id=tenant.id,
                stripe_customer_id="cus_test_1",
                subscription_status="past_due",
                subscription_plan="pro",
                delinquent_since=since,
            )
        )
    ref = _ref(rt, tenant)
    with tenant_context(ref):
        page = view.billing_page(ref)
    assert page["past_due"] and page["can_manage"]
    assert page["grace_ends"] == since + timedelta(days=rt.settings.billing_grace_days)


def test_checkout_and_portal_through_the_bridge_return_to_the_console(
    client, rt, tenant, stripe_stub
):
    ref = _ref(rt, tenant)
    back = f"https://app.example/t/{tenant.slug}/console/settings/billing"
    with tenant_context(ref):
        started = billing_bridge.checkout(ref, _owner_id(rt, tenant), "pro", back)
    assert started["checkout_url"].startswith("https://checkout.stripe.test/")
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert call.form["success_url"].startswith(f"{back}?checkout=success&session_id=")
    assert call.form["cancel_url"] == f"{back}?checkout=cancelled"
    with rt.owner_engine.begin() as conn:
        conn.execute(
            insert(BillingAccount).values(tenant_id=tenant.id, stripe_customer_id="cus_test_2")
        )
    with tenant_context(ref):
        link = billing_bridge.portal(ref, back)
    assert link["url"]
    (portal,) = stripe_stub.calls("/v1/billing_portal/sessions")
    assert portal.form["return_url"] == back


def _owner_id(rt, tenant) -> str:
    from sqlalchemy import select

    from shared.models.accounts import User

    with rt.engine.connect() as conn:
        return str(conn.scalar(select(User.id).where(User.email == tenant.email)))


def test_a_usage_counter_ahead_of_its_events_is_drift(client, rt, tenant):
    ref = _ref(rt, tenant)
    with rt.owner_engine.begin() as conn:
        conn.execute(
            update(UsageCounter)
            .where(UsageCounter.tenant_id == tenant.id, UsageCounter.metric == "bookings_created")
            .values(used=UsageCounter.used + 3)
        )
    with tenant_context(ref):
        page = view.billing_page(ref)
    bars = {b["metric"]: b for b in page["bars"]}
    assert bars["bookings_created"]["drift"] == 3 and page["drifting"]


def test_a_subscription_state_the_page_does_not_know_is_shown_as_other(client, rt, tenant):
    with rt.owner_engine.begin() as conn:
        conn.execute(
            insert(BillingAccount).values(tenant_id=tenant.id, subscription_status="mystery")
        )
    ref = _ref(rt, tenant)
    with tenant_context(ref):
        assert view.billing_page(ref)["sub_state"] == "other"
