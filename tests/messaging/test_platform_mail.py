"""Platform mail through the control-plane outbox, every template, and the operator DLQ view."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controlplane.mail.delivery import deliver_due as deliver_platform
from controlplane.mail.delivery import deliver_platform_outbox
from controlplane.mail.models import PlatformOutboxMessage
from controlplane.mail.service import TEMPLATES as PLATFORM_TEMPLATES
from controlplane.mail.service import enqueue_platform_mail, render_platform
from shared import circuit, db
from shared.outbox import MAX_ATTEMPTS
from shared.outbox.delivery import utcnow
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.messaging.service import render_email
from tenantapp.outbox.delivery import deliver_due
from tenantapp.outbox.registry import EMAIL_KINDS
from tests.messaging.support import BOOKING_CONTEXT, dlq_count, queue_email, ref

RESET = {"email": "user@example.com", "reset_url": "https://x/reset/abc", "expires_minutes": 30}
PLATFORM_CONTEXTS = {
    "staff_invite": {
        "email": "new@example.com",
        "company_name": "Sparkle Co",
        "inviter": "Owner O.",
        "role": "dispatcher",
        "accept_url": "https://x/invitations/abc",
        "expires_days": 7,
    },
    "password_reset": RESET,
    "verify_email": {"email": "user@example.com", "verify_url": "https://x/verify/abc"},
    "billing_notice": {
        "company_name": "Sparkle Co",
        "notice": "payment_failed",
        "plan": "pro",
        "billing_url": "https://x/billing",
        "grace_ends_at": "2027-02-01T00:00:00Z",
    },
}
LEAD = {
    "name": "Grace",
    "email": "grace@example.com",
    "created_at": "2027-01-15T16:00:00Z",
    "admin_url": "https://x/leads/1",
}
TENANT_CONTEXTS = {
    "lead_received": {"name": "Grace", "estimate_cents": 12000},
    "lead_notification": {"lead": LEAD},
    "booking_pending": {
        **BOOKING_CONTEXT,
        "booking": {**BOOKING_CONTEXT["booking"], "deposit_cents": 2500},
    },
    "booking_confirmed": BOOKING_CONTEXT,
    "booking_reminder_24h": BOOKING_CONTEXT,
    "booking_cancelled": {
        **BOOKING_CONTEXT,
        "booking": {**BOOKING_CONTEXT["booking"], "reason": "Customer request"},
    },
    "worker_invite": {"worker_name": "Sam", "login_url": "https://x/worker"},
    "plan_changed": {
        "customer_name": "Grace",
        "plan": {
            "id": "1",
            "frequency": "weekly",
            "change": "changed",
            "visits": [{"starts_at": "2027-01-19T16:00:00Z"}],
            "manage_url": "https://x/plans/1",
        },
    },
    # SMS and the review loop (tests/sms)
    "sms_received": {
        "sender_name": "Grace",
        "phone": "+14035550100",
        "body": "Can you do the oven too?",
        "thread_url": "https://x/messages",
    },
    "sms_limit_reached": {"limit": 50},
    "review_request": {"customer_name": "Grace", "feedback_url": "https://x/feedback/t"},
    "review_alert": {
        "customer_name": "Grace",
        "booking_id": 7,
        "score": 4,
        "comment": "Missed the bathroom",
        "customer_url": "https://x/customers/1",
    },
    "invoice_issued": {
        "customer_name": "Grace",
        "invoice": {
            "id": "7",
            "number": "INV-2027-000001",
            "currency": "CAD",
            "total": "110.25",
            "paid": "0.00",
            "amount_due": "110.25",
            "due_date": "2027-01-15",
        },
        "pay_url": None,
        "invoice_url": "https://x/invoices/7?token=t",
        "pdf_url": "https://x/invoices/7/pdf?token=t",
    },
    # Getting paid online (tests/payments)
    "payment_receipt": {
        "customer_name": "Grace",
        "invoice": {
            "id": "7",
            "number": "INV-2027-000001",
            "currency": "CAD",
            "total": "110.25",
            "amount_due": "0.00",
        },
        "amount": "110.25",
        "invoice_url": "https://x/invoices/7?token=t",
    },
    "payment_failed": {
        "customer_name": "Grace",
        "invoice": {
            "id": "7",
            "number": "INV-2027-000001",
            "currency": "CAD",
            "total": "110.25",
            "amount_due": "110.25",
        },
        "reason": "card_declined",
        "pay_url": "https://x/invoices/7?token=t",
    },
    "payment_alert": {
        "alert": "dispute",
        "detail": "The customer disputed a card payment of 110.25.",
        "invoice": {"id": "7", "number": "INV-2027-000001", "status": "PAID"},
        "customer_name": "Grace",
    },
    "card_setup": {"customer_name": "Grace", "setup_url": "https://x/card-setup?token=t"},
}


@pytest.fixture()
def cp_session():
    yield
    db.close_session()


def test_every_platform_template_renders_text_and_html(rt, cp_session):
    assert set(PLATFORM_CONTEXTS) == PLATFORM_TEMPLATES
    for name, context in PLATFORM_CONTEXTS.items():
        rendered = render_platform(name, {**context, "recipient": "user@example.com"})
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.text.strip() and rendered.html.lstrip().startswith("<!doctype html>")
        assert "Cleanplane" in rendered.text


def test_every_tenant_template_renders_with_the_tenants_name_zone_and_links(tenant, rt):
    assert set(TENANT_CONTEXTS) == set(EMAIL_KINDS)
    with tenant_context(ref(tenant)):
        for name, context in TENANT_CONTEXTS.items():
            rendered, full = render_email(db.session(), EMAIL_KINDS[name], "c@example.com", context)
            assert f"{tenant.slug} Cleaning" in rendered.text, name
            assert f"{tenant.slug} Cleaning" in rendered.html, name
            assert f"/t/{tenant.slug}" in rendered.text, name
            assert rendered.subject, name
            if "booking" in context:
                assert "09:00" in rendered.text, name  # America/Edmonton, not UTC
            assert (full["unsubscribe_url"] is not None) == EMAIL_KINDS[name].optional, name
        db.session().commit()


@pytest.fixture()
def quiet_platform_outbox(runtime):
    """Earlier tests (every signup queues a verification e-mail) leave platform mail pending in
    this shared database; settle it so each test sees only its own messages."""
    from sqlalchemy import update

    with runtime.engine.begin() as conn:
        conn.execute(
            update(PlatformOutboxMessage)
            .where(PlatformOutboxMessage.status == "pending")
            .values(status="sent", sent_at=utcnow())
        )


def test_platform_mail_is_sent_once_through_the_control_plane_outbox(
    mail_rt, smtp_server, cp_session, quiet_platform_outbox
):
    with db.transaction() as tx:
        first = enqueue_platform_mail(tx, "password_reset", "user@example.com", RESET, "pr:tok-1")
        again = enqueue_platform_mail(tx, "password_reset", "user@example.com", RESET, "pr:tok-1")
    assert first is not None and again is None
    assert deliver_platform_outbox()["sent"] >= 1  # the job entry point
    deliver_platform(now=utcnow() + timedelta(minutes=5))
    mine = [m for m in smtp_server.messages if m["to"] == ["user@example.com"]]
    assert len(mine) == 1
    msg = mine[0]["message"]
    assert msg["Subject"] == "Reset your Cleanplane password"
    assert "https://x/reset/abc" in msg.get_body(("plain",)).get_content()
    assert msg["List-Unsubscribe"] is None
    row = db.session().get(PlatformOutboxMessage, first, populate_existing=True)
    assert row.status == "sent" and row.provider_ref == msg["Message-ID"]


def test_platform_mail_refuses_unknown_templates(rt, cp_session):
    with db.transaction() as tx, pytest.raises(ValueError):
        enqueue_platform_mail(tx, "newsletter", "user@example.com", {}, "nl:1")


def test_operators_see_dead_letters_per_tenant_and_platform(
    client, tenant, operator_headers, make_runtime, smtp_server, cp_session, quiet_platform_outbox
):
    smtp_server.stop()
    rt = make_runtime(smtp_url=smtp_server.url)
    with use_runtime(rt):
        with db.transaction() as tx:
            message_id = enqueue_platform_mail(
                tx,
                "verify_email",
                "dead@example.com",
                PLATFORM_CONTEXTS["verify_email"],
                f"verify:{tenant.id}",
            )
        now = utcnow()
        for _ in range(MAX_ATTEMPTS):
            circuit.reset_all()  # an hour passes between tries: the breaker has cooled down
            deliver_platform(now=now)
            now += timedelta(hours=1)
        row = db.session().get(PlatformOutboxMessage, message_id, populate_existing=True)
        assert row.status == "dead"
        db.close_session()
        with tenant_context(ref(tenant)):
            queue_email(key="ops-dead")
            t = utcnow()
            for _ in range(MAX_ATTEMPTS):
                circuit.reset_all()
                deliver_due(now=t)
                t += timedelta(hours=1)
            assert dlq_count(str(tenant.id), "email") == 1

    resp = client.get("/v1/ops/dlq?limit=200", headers=operator_headers)
    assert resp.status_code == 200
    items = {(i["scope"], i["kind"]): i for i in resp.get_json()["items"]}
    assert items[("platform", "email")]["dead_count"] >= 1
    mine = items[(str(tenant.id), "email")]
    assert mine["dead_count"] == 1 and mine["tenant_slug"] == tenant.slug
    assert all(i["dead_count"] > 0 for i in items.values())
    walked, cursor = [], None
    while True:
        url = "/v1/ops/dlq?limit=1" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=operator_headers).get_json()
        walked += [(i["scope"], i["kind"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert walked == sorted(items)
    assert client.get("/v1/ops/dlq", headers=tenant.headers).status_code in (401, 403)
    assert client.get("/v1/ops/dlq").status_code == 401
