"""Deposits through Stripe Connect: checkout on the connected account, the webhook lifecycle,
refunds, expiry of unpaid deposits, and Stripe outages (SPEC §5.4)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shared import db
from shared.tenancy import tenant_context
from tenantapp.outbox.models import OutboxMessage
from tests.bookings.conftest import at, book, make_lead, monday
from tests.payments.conftest import post_connect_event


def _book_with_deposit(client, tenant, day=None, **lead_extra):
    lead = make_lead(client, tenant, **lead_extra)
    resp = book(client, tenant, lead["lead_id"], at(day or monday(), "09:00"))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _completed(session_id, booking_id, intent="pi_test_1"):
    return {
        "id": session_id,
        "object": "checkout.session",
        "payment_intent": intent,
        "metadata": {"booking_id": str(booking_id)},
    }


def test_onboarding_creates_the_account_once_and_returns_a_link(client, connected, stripe_stub):
    tenant, account = connected
    again = client.post(tenant.url("/admin/payments/connect"), headers=tenant.headers).get_json()
    assert again["account_id"] == account and account in again["url"]
    assert len(stripe_stub.succeeded("/v1/accounts")) == 1


def test_deposit_checkout_is_opened_on_the_connected_account(client, connected, stripe_stub):
    tenant, account = connected
    before = datetime.now(UTC).replace(microsecond=0)  # Stripe takes whole seconds
    b = _book_with_deposit(client, tenant)
    assert b["status"] == "PENDING" and b["deposit"]["status"] == "pending"
    assert b["deposit"]["checkout_url"].startswith("https://checkout.stripe.test/")
    (call,) = stripe_stub.succeeded("/v1/checkout/sessions")
    assert call.stripe_account == account
    assert call.idempotency_key == f"deposit:{b['id']}"
    assert call.form["mode"] == "payment"
    assert int(call.form["line_items[0][price_data][unit_amount]"]) == b["deposit"]["amount_cents"]
    expires = datetime.fromtimestamp(int(call.form["expires_at"]), UTC)
    assert expires - before >= timedelta(minutes=31)  # max(31 min, DEPOSIT_HOLD_MINUTES=30)


def test_paid_deposit_confirms_once_in_any_replay(client, connected, rt):
    tenant, account = connected
    b = _book_with_deposit(client, tenant)
    session = b["deposit"]["checkout_url"].rsplit("/", 1)[1]
    evt_id = "evt_paid_1"
    for _ in range(3):
        resp = post_connect_event(
            client,
            "checkout.session.completed",
            _completed(session, b["id"]),
            account,
            event_id=evt_id,
        )
        assert resp.status_code == 200
    view = client.get(tenant.url(f"/admin/bookings/{b['id']}"), headers=tenant.headers).get_json()
    assert view["status"] == "CONFIRMED" and view["deposit"]["status"] == "paid"
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        topics = db.session().scalars(select(OutboxMessage.topic)).all()
        db.close_session()
    assert topics.count("booking_confirmed") == 1


def test_high_risk_stays_pending_after_payment(client, connected, rt):
    tenant, account = connected
    first = _book_with_deposit(client, tenant)
    client.post(
        tenant.url(f"/admin/bookings/{first['id']}/cancel"),
        json={"reason": "x"},
        headers=tenant.headers,
    )
    second = _book_with_deposit(client, tenant, day=monday(3))
    client.post(
        tenant.url(f"/admin/bookings/{second['id']}/cancel"),
        json={"reason": "x"},
        headers=tenant.headers,
    )
    risky = _book_with_deposit(client, tenant, day=monday(4))
    assert risky["risk"]["band"] == "HIGH", risky["risk"]
    session = risky["deposit"]["checkout_url"].rsplit("/", 1)[1]
    post_connect_event(
        client, "checkout.session.completed", _completed(session, risky["id"]), account
    )
    view = client.get(tenant.url(f"/admin/bookings/{risky['id']}"), headers=tenant.headers)
    assert view.get_json()["status"] == "PENDING" and view.get_json()["deposit"]["status"] == "paid"
    confirmed = client.post(
        tenant.url(f"/admin/bookings/{risky['id']}/confirm"), headers=tenant.headers
    )
    assert confirmed.get_json()["status"] == "CONFIRMED"


def test_expired_checkout_cancels_and_frees_the_slot(client, connected):
    tenant, account = connected
    day = monday()
    b = _book_with_deposit(client, tenant, day=day)
    session = b["deposit"]["checkout_url"].rsplit("/", 1)[1]
    resp = post_connect_event(
        client,
        "checkout.session.expired",
        {"id": session, "metadata": {"booking_id": str(b["id"])}},
        account,
    )
    assert resp.get_json()["outcome"] == "cancelled"
    view = client.get(tenant.url(f"/admin/bookings/{b['id']}"), headers=tenant.headers).get_json()
    assert view["status"] == "CANCELLED" and view["deposit"]["status"] == "expired"
    other = make_lead(client, tenant, email="next@example.com", phone="+1 403 555 0155")
    assert book(client, tenant, other["lead_id"], at(day, "09:00")).status_code == 201


def test_payment_for_a_cancelled_booking_is_refunded_automatically(client, connected, stripe_stub):
    tenant, account = connected
    b = _book_with_deposit(client, tenant)
    client.post(
        tenant.url(f"/admin/bookings/{b['id']}/cancel"),
        json={"reason": "changed"},
        headers=tenant.headers,
    )
    session = b["deposit"]["checkout_url"].rsplit("/", 1)[1]
    resp = post_connect_event(
        client, "checkout.session.completed", _completed(session, b["id"], "pi_late"), account
    )
    assert resp.get_json()["outcome"] == "refund_after_cancel"
    (refund,) = stripe_stub.succeeded("/v1/refunds")
    assert refund.stripe_account == account and refund.form["payment_intent"] == "pi_late"
    assert int(refund.form["amount"]) == b["deposit"]["amount_cents"]
    audit = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    assert audit[0]["action"] == "deposit.paid_after_cancel"
    post_connect_event(
        client, "charge.refunded", {"payment_intent": "pi_late", "amount_refunded": 5000}, account
    )
    view = client.get(tenant.url(f"/admin/bookings/{b['id']}"), headers=tenant.headers).get_json()
    assert view["deposit"]["status"] == "refunded"


def test_customer_cancel_refunds_by_policy(client, connected, stripe_stub):
    tenant, account = connected
    b = _book_with_deposit(client, tenant)  # two weeks out: free cancellation
    session = b["deposit"]["checkout_url"].rsplit("/", 1)[1]
    post_connect_event(
        client, "checkout.session.completed", _completed(session, b["id"], "pi_cust"), account
    )
    token = b["manage_url"].split("token=")[1]
    resp = client.post(tenant.url(f"/bookings/{b['id']}/cancel?token={token}"))
    assert resp.get_json()["refund_cents"] == b["deposit"]["amount_cents"]
    (refund,) = stripe_stub.succeeded("/v1/refunds")
    assert int(refund.form["amount"]) == b["deposit"]["amount_cents"]


def test_account_updated_sets_payouts_ready(client, connected):
    tenant, account = connected
    post_connect_event(
        client,
        "account.updated",
        {"id": account, "charges_enabled": True, "payouts_enabled": True},
        account,
    )
    audit = client.get(tenant.url("/admin/audit"), headers=tenant.headers).get_json()["items"]
    assert audit[0]["action"] == "payments.account" and audit[0]["after"] == {"payouts_ready": True}


def test_bad_or_stale_signature_is_400_and_unknown_account_is_acknowledged(client, connected):
    import time

    tenant, account = connected
    assert (
        post_connect_event(client, "account.updated", {}, account, secret="whsec_wrong").status_code
        == 400
    )
    stale = post_connect_event(
        client, "account.updated", {}, account, timestamp=int(time.time()) - 301
    )
    assert stale.status_code == 400
    unknown = post_connect_event(client, "account.updated", {}, "acct_nobody")
    assert unknown.status_code == 200 and unknown.get_json()["outcome"] == "unknown_account"


def test_stripe_outage_books_without_a_deposit_never_half_written(client, connected, stripe_stub):
    tenant, _ = connected
    stripe_stub.fail_next(10)
    b = _book_with_deposit(client, tenant)
    assert b["status"] == "PENDING" and b["deposit"]["status"] is None
    assert b["deposit"]["downgraded_reason"] == "stripe_unavailable"
    assert b["deposit"]["required"] is True


def test_unpaid_deposits_are_cancelled_after_the_hold(client, connected, rt, stripe_stub):
    from tenantapp.bookings.deposits import expire_unpaid_deposits

    tenant, _ = connected
    b = _book_with_deposit(client, tenant)
    with tenant_context(rt.tenants.by_slug(tenant.slug)):
        early = expire_unpaid_deposits(now=datetime.now(UTC) + timedelta(minutes=29))
        late = expire_unpaid_deposits(now=datetime.now(UTC) + timedelta(minutes=31))
        db.close_session()
    assert early["cancelled"] == 0 and late["cancelled"] == 1
    view = client.get(tenant.url(f"/admin/bookings/{b['id']}"), headers=tenant.headers).get_json()
    assert view["status"] == "CANCELLED" and view["deposit"]["status"] == "expired"
    expires = [r for r in stripe_stub.requests if r.path.endswith("/expire")]
    assert len(expires) == 1 and expires[0].status == 200


def test_connect_endpoint_isolation(client, connected):
    from tests.support import signup

    tenant, _ = connected
    other = signup(client)
    assert (
        client.post(tenant.url("/admin/payments/connect"), headers=other.headers).status_code == 403
    )
