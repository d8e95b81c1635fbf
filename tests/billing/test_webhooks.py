"""Platform webhook: signature, once-only processing, any order, effective plan."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from controlplane.billing.models import BillingAccount, StripeEvent
from shared import db
from shared.entitlements import consume
from shared.errors import LimitReached
from shared.models.tenants import Tenant, TenantEvent
from tests.billing.conftest import WEBHOOK_SECRET, post_event
from tests.billing.helpers import Story
from tests.stripe_stub import event, sign


def _event_rows(rt, ids) -> int:
    with rt.engine.connect() as conn:
        return conn.scalar(select(func.count()).where(StripeEvent.id.in_(ids)))


def _account(rt, tenant_id) -> BillingAccount:
    db.close_session()
    return db.session().get(BillingAccount, uuid.UUID(tenant_id))


def _plan(rt, tenant_id) -> str:
    with rt.engine.connect() as conn:
        return conn.scalar(select(Tenant.plan_code).where(Tenant.id == uuid.UUID(tenant_id)))


def test_tampered_body_is_400_and_nothing_stored(client, rt, tenant):
    evt = Story(tenant.id).checkout_completed()
    payload = json.dumps(evt).encode()
    header = sign(payload, WEBHOOK_SECRET)
    tampered = payload.replace(b'"pro"', b'"business"')
    resp = client.post(
        "/v1/stripe/webhook",
        data=tampered,
        headers={"Stripe-Signature": header},
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert _event_rows(rt, [evt["id"]]) == 0
    assert _plan(rt, tenant.id) == "free"


@pytest.mark.parametrize(("age", "status"), [(290, 200), (310, 400)])
def test_signature_tolerance_is_300_seconds(client, rt, tenant, age, status):
    evt = event("ping.unknown", {"id": "x"})
    resp = post_event(client, evt, timestamp=int(time.time()) - age)
    assert resp.status_code == status
    assert _event_rows(rt, [evt["id"]]) == (1 if status == 200 else 0)


def test_wrong_secret_or_missing_header_is_400(client, rt):
    evt = event("customer.subscription.updated", {"id": "sub_x"})
    assert post_event(client, evt, secret="whsec_other").status_code == 400
    resp = client.post("/v1/stripe/webhook", json=evt)
    assert resp.status_code == 400 and resp.get_json()["code"] == "bad_request"
    assert _event_rows(rt, [evt["id"]]) == 0


def test_unknown_type_is_200_and_ignored(client, rt):
    evt = event("customer.tax_id.created", {"id": "txi_1"})
    resp = post_event(client, evt)
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "ignored"


def _story_events(story: Story) -> list[dict]:
    return [
        story.checkout_completed(dt=0),
        story.sub("created", "incomplete", dt=0),
        story.invoice("paid", dt=1),
        story.sub("updated", "active", dt=1),
        story.invoice("payment_failed", dt=100),
        story.sub("updated", "past_due", dt=100),
    ]


@pytest.mark.parametrize("with_metadata", [True, False])
def test_replayed_three_times_out_of_order_ends_right_with_one_effect(
    client, rt, tenant, mails, with_metadata
):
    story = Story(tenant.id, with_metadata=with_metadata)
    events = _story_events(story)
    order = list(reversed(events)) * 3
    outcomes = [post_event(client, e).get_json()["outcome"] for e in order]
    assert all(r in {"applied", "stale", "ignored", "unmatched", "duplicate"} for r in outcomes)
    assert outcomes.count("duplicate") == 2 * len(events)
    assert _event_rows(rt, [e["id"] for e in events]) == len(events)
    account = _account(rt, tenant.id)
    assert account.subscription_status == "past_due"
    assert account.subscription_plan == "pro"
    assert account.stripe_customer_id == story.customer
    assert account.delinquent_since.timestamp() == story.t0 + 100
    assert _plan(rt, tenant.id) == "pro"  # past_due keeps the paid plan
    failed = [
        m
        for m in mails
        if m["template"] == "billing_notice" and m["context"]["notice"] == "payment_failed"
    ]
    assert len(failed) == 1 and failed[0]["to"] == tenant.email
    with rt.engine.connect() as conn:
        remaining = conn.scalar(
            select(func.count()).where(
                StripeEvent.customer_id == story.customer, StripeEvent.outcome == "unmatched"
            )
        )
    assert remaining == 0


def test_in_order_delivery_reaches_the_same_state(client, rt, tenant):
    story = Story(tenant.id)
    for e in _story_events(story):
        assert post_event(client, e).status_code == 200
    account = _account(rt, tenant.id)
    assert (account.subscription_status, account.subscription_plan) == ("past_due", "pro")


def test_stale_update_is_recorded_but_not_applied(client, rt, tenant):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "canceled", dt=10))
    late = story.sub("updated", "active", dt=5)
    assert post_event(client, late).get_json()["outcome"] == "stale"
    assert _account(rt, tenant.id).subscription_status == "canceled"
    assert _plan(rt, tenant.id) == "free"


def test_plan_change_is_visible_through_the_tenant_directory_at_once(client, rt, tenant):
    assert rt.tenants.by_id(tenant.id).plan == "free"
    story = Story(tenant.id, plan="business")
    post_event(client, story.checkout_completed())
    assert rt.tenants.by_id(tenant.id).plan == "business"
    status = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert status["plan"] == "business" and status["limits"]["active_workers"] == 500


def test_canceled_gives_free_limits_at_once(client, rt, tenant):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    ref = rt.tenants.by_id(tenant.id)
    with db.transaction() as tx:
        assert consume(tx, ref, "active_workers", 10) == 10  # over free's 3, inside pro's 50
    post_event(client, story.sub("deleted", "canceled", dt=2))
    assert _plan(rt, tenant.id) == "free"
    ref = rt.tenants.by_id(tenant.id)
    assert ref.plan == "free"
    with pytest.raises(LimitReached) as err, db.transaction() as tx:
        consume(tx, ref, "active_workers", 1)
    assert err.value.extra == {
        "metric": "active_workers",
        "limit": 3,
        "used": 10,
        "upgrade_url": "/v1/billing/checkout",
    }
    db.close_session()
    status = client.get("/v1/billing/status", headers=tenant.headers).get_json()
    assert status["plan"] == "free" and status["subscription_status"] == "canceled"
    assert status["limits"]["active_workers"] == 3


@pytest.mark.parametrize(
    ("status", "plan"),
    [
        ("active", "pro"),
        ("trialing", "pro"),
        ("past_due", "pro"),
        ("unpaid", "free"),
        ("incomplete", "free"),
        ("canceled", "free"),
    ],
)
def test_effective_plan_for_each_status(client, rt, tenant, status, plan):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed(paid=False))
    post_event(client, story.sub("updated", status, dt=1))
    assert _plan(rt, tenant.id) == plan


def test_end_of_an_old_subscription_does_not_downgrade(client, rt, tenant):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    old = story.sub("deleted", "canceled", dt=5, sub_id="sub_old_one")
    assert post_event(client, old).get_json()["outcome"] == "stale"
    assert _plan(rt, tenant.id) == "pro"


def test_upgrade_through_subscription_update_changes_the_plan(client, rt, tenant):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=5, plan="business"))
    assert _plan(rt, tenant.id) == "business"


def test_event_for_unknown_customer_is_kept_unmatched(client, rt):
    story = Story(str(uuid.uuid4()), with_metadata=False)
    resp = post_event(client, story.sub("updated", "active", dt=0))
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "unmatched"


def test_action_required_emails_the_owner_once(client, rt, tenant, mails):
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    evt = story.invoice("payment_action_required", dt=3)
    for _ in range(3):
        post_event(client, evt)
    notices = [
        m
        for m in mails
        if m["template"] == "billing_notice" and m["context"]["notice"] == "action_required"
    ]
    assert len(notices) == 1 and notices[0]["context"]["hosted_invoice_url"]


def test_webhooks_never_change_the_lifecycle_without_a_billing_suspension(client, rt, tenant):
    story = Story(tenant.id)
    for e in _story_events(story):
        post_event(client, e)
    with rt.engine.connect() as conn:
        n = conn.scalar(select(func.count()).where(TenantEvent.tenant_id == uuid.UUID(tenant.id)))
        status = conn.scalar(select(Tenant.status).where(Tenant.id == uuid.UUID(tenant.id)))
    assert status == "active" and n >= 1


def test_minimal_checkout_completed_activates_the_plan_from_metadata(client, rt, tenant):
    session = {
        "id": "cs_test_min",
        "object": "checkout.session",
        "customer": "cus_min_" + tenant.id[:8],
        "subscription": "sub_min_" + tenant.id[:8],
        "metadata": {"tenant_id": tenant.id, "plan": "business"},
    }
    assert post_event(client, event("checkout.session.completed", session)).status_code == 200
    assert _plan(rt, tenant.id) == "business"


def test_subscription_with_an_unmapped_price_uses_its_metadata_plan(client, rt, tenant):
    from tests.stripe_stub import subscription

    sub = subscription(
        "sub_inline_" + tenant.id[:8], "cus_inline_" + tenant.id[:8], "active",
        "price_made_inline", tenant_id=tenant.id, plan="pro",
    )  # fmt: skip
    assert post_event(client, event("customer.subscription.created", sub)).status_code == 200
    assert _plan(rt, tenant.id) == "pro"


def test_unpaid_checkout_links_but_waits_for_the_subscription(client, rt, tenant):
    story = Story(tenant.id, with_metadata=False)
    post_event(client, story.checkout_completed(paid=False))
    assert _plan(rt, tenant.id) == "free"
    post_event(client, story.sub("updated", "active", dt=5))
    assert _plan(rt, tenant.id) == "pro"


def test_concurrent_duplicate_deliveries_apply_once(stripe_app, rt, tenant, stripe_stub):
    import threading

    from tests.support import ApiClient

    story = Story(tenant.id)
    evt = story.checkout_completed()
    barrier = threading.Barrier(4)
    outcomes = []

    def deliver():
        local = ApiClient(stripe_app)
        barrier.wait()
        outcomes.append(post_event(local, evt).get_json()["outcome"])

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert _event_rows(rt, [evt["id"]]) == 1
    assert stripe_stub.requests == []  # handlers never call Stripe


def test_same_second_events_apply_in_delivery_order(client, rt, tenant, mails):
    """Tests and bursts often give every event the same ``created`` second."""
    story = Story(tenant.id)
    post_event(client, story.checkout_completed(dt=0))
    post_event(client, story.sub("created", "incomplete", dt=0))  # Stripe's first state, late
    assert _plan(rt, tenant.id) == "pro"
    post_event(client, story.sub("updated", "past_due", dt=0))
    post_event(client, story.sub("updated", "unpaid", dt=0))
    assert _plan(rt, tenant.id) == "free"
    post_event(client, story.invoice("paid", dt=0))
    assert _plan(rt, tenant.id) == "pro"
    assert _account(rt, tenant.id).subscription_status == "active"
