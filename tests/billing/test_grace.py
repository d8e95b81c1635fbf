"""Grace period: suspension after BILLING_GRACE_DAYS overdue, e-mail, and resume on payment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from controlplane.billing.grace import billing_grace_check
from controlplane.tenants.lifecycle import change_status
from shared.models.tenants import Tenant
from tests.billing.conftest import post_event
from tests.billing.helpers import Story


def _status(rt, tenant_id):
    with rt.engine.connect() as conn:
        row = conn.execute(
            select(Tenant.status, Tenant.status_reason).where(Tenant.id == uuid.UUID(tenant_id))
        ).first()
    return row.status, row.status_reason


def _past_due(client, tenant) -> tuple[Story, datetime]:
    story = Story(tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    post_event(client, story.sub("updated", "past_due", dt=50))
    return story, datetime.fromtimestamp(story.t0 + 50, UTC)


def test_grace_expiry_suspends_and_emails_the_owner(client, rt, tenant, mails):
    story, since = _past_due(client, tenant)
    grace = timedelta(days=rt.settings.billing_grace_days)
    assert rt.settings.billing_grace_days == 7

    early = billing_grace_check(now=since + grace - timedelta(seconds=1))
    assert tenant.id not in early["suspended"]
    assert _status(rt, tenant.id)[0] == "active"

    result = billing_grace_check(now=since + grace)
    assert tenant.id in result["suspended"]
    status, reason = _status(rt, tenant.id)
    assert status == "suspended" and reason.startswith("billing:")
    (mail,) = [
        m
        for m in mails
        if m["template"] == "billing_notice" and m["context"]["notice"] == "suspended"
    ]
    assert mail["to"] == tenant.email
    assert rt.tenants.by_id(tenant.id).status == "suspended"

    # a second run changes nothing and sends nothing
    assert tenant.id not in billing_grace_check(now=since + grace * 2)["suspended"]
    assert (
        len(
            [
                m
                for m in mails
                if m["template"] == "billing_notice" and m["context"]["notice"] == "suspended"
            ]
        )
        == 1
    )


def test_suspended_owner_can_still_reach_billing_but_not_the_workspace(client, rt, tenant):
    _, since = _past_due(client, tenant)
    billing_grace_check(now=since + timedelta(days=8))
    blocked = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert blocked.status_code == 403 and blocked.get_json()["code"] == "tenant_suspended"
    assert client.get("/v1/billing/status", headers=tenant.headers).status_code == 200
    assert client.post("/v1/billing/portal", headers=tenant.headers).status_code == 200


def test_paying_resumes_a_billing_suspension(client, rt, tenant):
    story, since = _past_due(client, tenant)
    billing_grace_check(now=since + timedelta(days=8))
    assert _status(rt, tenant.id)[0] == "suspended"
    post_event(client, story.invoice("paid", dt=60))
    assert _status(rt, tenant.id)[0] == "active"
    assert rt.tenants.by_id(tenant.id).plan == "pro"
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200


def test_subscription_becoming_active_resumes_too(client, rt, tenant):
    story, since = _past_due(client, tenant)
    billing_grace_check(now=since + timedelta(days=8))
    post_event(client, story.sub("updated", "active", dt=70))
    assert _status(rt, tenant.id)[0] == "active"


def test_payment_does_not_lift_an_operator_suspension(client, rt, tenant):
    story, _ = _past_due(client, tenant)
    change_status(uuid.UUID(tenant.id), "suspended", actor="operator:ops", reason="abuse report")
    post_event(client, story.invoice("paid", dt=60))
    assert _status(rt, tenant.id) == ("suspended", "abuse report")


def test_active_subscribers_and_recent_delinquents_are_left_alone(client, rt, tenant, other_tenant):
    story = Story(other_tenant.id)
    post_event(client, story.checkout_completed())
    post_event(client, story.sub("updated", "active", dt=1))
    _, since = _past_due(client, tenant)
    result = billing_grace_check(now=since + timedelta(days=3))
    assert tenant.id not in result["suspended"] and other_tenant.id not in result["suspended"]


def test_one_tenants_failure_does_not_stop_the_others(
    client, rt, tenant, other_tenant, monkeypatch
):
    from controlplane.accounts import mailer

    _, since = _past_due(client, tenant)
    _past_due(client, other_tenant)
    captured = mailer.send_platform_mail

    def flaky(sess, template, to, context, dedupe_key, **kw):
        if to == tenant.email:
            raise RuntimeError("outbox insert failed")
        return captured(sess, template, to, context, dedupe_key, **kw)

    monkeypatch.setattr(mailer, "send_platform_mail", flaky)
    result = billing_grace_check(now=since + timedelta(days=8))
    assert tenant.id in result["failed"] and other_tenant.id in result["suspended"]
    assert _status(rt, tenant.id)[0] == "active"  # rolled back with its e-mail: retried tomorrow
    assert _status(rt, other_tenant.id)[0] == "suspended"
