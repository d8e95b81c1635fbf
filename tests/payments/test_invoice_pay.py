"""Paying an invoice online (SPEC §5.11): the public invoice endpoints, Checkout on the connected
account with its idempotency key, an open session reused and an expired one replaced, the pay
link in the staff JSON and the e-mail, and every id-taking endpoint closed to other tenants."""

from sqlalchemy import func, select

from tenantapp.payments.models import InvoiceCheckout
from tests.invoices.helpers import InTenant, get, outbox_topics, settings
from tests.payments.conftest import post_connect_event
from tests.payments.invoice_helpers import (
    completed,
    issued,
    line,
    manual_invoice,
    pay,
    post,
    public_url,
    session_id,
    token_of,
)
from tests.support import runtime_of, signup

GST = {"code": "GST", "name": "GST", "rate": "5.000", "registration_number": "123456789RT0001"}


def _checkouts(client, tenant) -> int:
    with InTenant(runtime_of(client), tenant) as sess:
        return sess.scalar(select(func.count()).select_from(InvoiceCheckout))


def test_public_invoice_shows_what_the_page_needs(client, connected):
    tenant, _ = connected
    settings(client, tenant, tax_rates=[GST], brand_color="#123456")
    inv = issued(client, tenant, 10000)
    assert (
        inv["pay_url"].startswith("http")
        and f"/t/{tenant.slug}/invoices/{inv['id']}?token=" in inv["pay_url"]
    )
    resp = client.get(public_url(tenant, inv))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["number"] == inv["number"] and body["status"] == "ISSUED"
    assert (body["subtotal_cents"], body["tax_cents"], body["total_cents"]) == (10000, 500, 10500)
    assert body["amount_due_cents"] == 10500 and body["can_pay"] is True
    assert body["taxes"][0]["code"] == "GST" and body["lines"][0]["amount_cents"] == 10000
    assert body["company"]["name"] == f"{tenant.slug} Cleaning"
    assert body["company"]["brand_color"] == "#123456"
    assert body["company"]["brand_text_color"] in ("#ffffff", "#000000", "#111827", "#fff")
    assert body["company"]["registrations"][0]["registration_number"] == "123456789RT0001"
    assert body["pay_url"] == inv["pay_url"]
    assert f"/v1/invoices/{inv['id']}/pdf?token=" in body["pdf_url"]
    assert "customer_id" not in body and "created_at" not in body  # staff-only fields stay in


def test_public_pdf_is_served_with_the_token(client, connected):
    tenant, _ = connected
    inv = issued(client, tenant)
    resp = client.get(public_url(tenant, inv, "/pdf"))
    assert resp.status_code in (200, 503), resp.status_code  # 503 only without Pango
    if resp.status_code == 200:
        assert resp.data[:5] == b"%PDF-" and resp.headers["Referrer-Policy"] == "no-referrer"


def test_wrong_token_other_invoice_other_tenant_and_drafts_are_404(client, connected):
    tenant, _ = connected
    a = issued(client, tenant)
    b = issued(client, tenant, 5000)
    draft = manual_invoice(client, tenant, [line(1000)])
    other = signup(client)
    for tail in ("", "/pdf"):
        assert client.get(public_url(tenant, a, tail, token_of(b))).status_code == 404
        assert client.get(public_url(tenant, a, tail, "forged")).status_code == 404
        # the same id and token under another tenant's slug
        assert client.get(public_url(other, a, tail)).status_code == 404
        assert (
            client.get(tenant.url(f"/invoices/999999{tail}?token={token_of(a)}")).status_code == 404
        )
    assert pay(client, tenant, a, token_of(b)).status_code == 404
    assert pay(client, other, a).status_code == 404
    draft_url = tenant.url(f"/invoices/{draft['id']}?token={token_of(a)}")
    assert client.get(draft_url).status_code == 404
    assert client.get(tenant.url(f"/invoices/{a['id']}")).status_code == 422  # no token at all
    assert _checkouts(client, tenant) == 0


def test_pay_opens_checkout_on_the_connected_account(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    resp = pay(client, tenant, inv)
    assert resp.status_code == 200, resp.get_json()
    url = resp.get_json()["checkout_url"]
    (call,) = stripe_stub.succeeded("/v1/checkout/sessions")
    assert call.stripe_account == account
    assert call.idempotency_key == f"invoice:{inv['id']}:10000:1"
    assert call.form["mode"] == "payment"
    assert call.form["metadata[invoice_id]"] == str(inv["id"])
    assert call.form["payment_intent_data[metadata][invoice_id]"] == str(inv["id"])
    assert int(call.form["line_items[0][price_data][unit_amount]"]) == 10000
    assert call.form["line_items[0][price_data][currency]"] == "cad"
    assert url.endswith(session_id(url)) and url.startswith("https://checkout.stripe.test/")
    # an open session for the same amount is handed out again, without asking Stripe
    again = pay(client, tenant, inv).get_json()["checkout_url"]
    assert again == url and len(stripe_stub.calls("/v1/checkout/sessions")) == 1
    # the GET link redirects to the same session
    link = client.get(public_url(tenant, inv, "/pay"))
    assert link.status_code == 303 and link.headers["Location"] == url


def test_an_expired_session_is_replaced_by_the_next_attempt(client, connected, stripe_stub):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    first = pay(client, tenant, inv).get_json()["checkout_url"]
    resp = post_connect_event(
        client,
        "checkout.session.expired",
        {"id": session_id(first), "metadata": {"invoice_id": str(inv["id"])}},
        account,
    )
    assert resp.get_json()["outcome"] == "expired"
    second = pay(client, tenant, inv).get_json()["checkout_url"]
    assert second != first
    keys = [c.idempotency_key for c in stripe_stub.succeeded("/v1/checkout/sessions")]
    assert keys == [f"invoice:{inv['id']}:10000:1", f"invoice:{inv['id']}:10000:2"]


def test_a_partial_payment_makes_a_session_for_the_new_amount(client, connected, stripe_stub):
    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    first = pay(client, tenant, inv).get_json()["checkout_url"]
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 4000, "method": "cash"},
        status=201,
    )
    second = pay(client, tenant, inv).get_json()["checkout_url"]
    assert second != first
    calls = stripe_stub.succeeded("/v1/checkout/sessions")
    assert calls[-1].idempotency_key == f"invoice:{inv['id']}:6000:2"
    assert int(calls[-1].form["line_items[0][price_data][unit_amount]"]) == 6000
    # the replaced session is closed at Stripe
    assert stripe_stub.succeeded(f"/v1/checkout/sessions/{session_id(first)}/expire")


def test_nothing_to_pay_or_no_stripe_account_is_409(client, connected, tenant):
    t, account = connected
    inv = issued(client, t, 10000)
    post(
        client,
        t,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 10000, "method": "cash"},
        status=201,
    )
    assert pay(client, t, inv).status_code == 409
    body = client.get(public_url(t, inv)).get_json()
    assert body["can_pay"] is False and body["pay_url"] is None and body["status"] == "PAID"
    # a tenant with no connected account: no pay link at all
    plain = issued(client, tenant, 10000)
    assert plain["pay_url"] is None


def test_staff_json_and_the_invoice_email_carry_the_pay_link(client, connected):
    from shared.crypto import unsealed
    from tenantapp.outbox.models import OutboxMessage

    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    staff_view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert staff_view["pay_url"] == inv["pay_url"] and staff_view["disputed"] is False
    rt = runtime_of(client)
    with InTenant(rt, tenant) as sess:
        payload = sess.scalar(
            select(OutboxMessage.payload).where(
                OutboxMessage.dedupe_key == f"invoice_issued:{inv['id']}"
            )
        )
    assert "token=" not in str(payload)
    context = unsealed(payload, tuple(rt.settings.data_encryption_keys))
    assert context["pay_url"] == inv["pay_url"]
    assert ("invoice_issued", "pat@example.com", f"invoice_issued:{inv['id']}") in outbox_topics(
        rt, tenant
    )


def test_stripe_down_answers_503_and_writes_nothing(client, connected, stripe_stub):
    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    stripe_stub.fail_next(10)
    resp = pay(client, tenant, inv)
    assert resp.status_code == 503 and resp.content_type == "application/problem+json"
    assert _checkouts(client, tenant) == 0
    stripe_stub.reset()
    assert pay(client, tenant, inv).status_code == 200
    assert _checkouts(client, tenant) == 1


def test_a_checkout_payment_is_recorded_once_in_any_replay(client, connected, rt):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    for _ in range(3):
        resp = completed(client, account, inv, session_id(url), "pi_inv_1", 10000, "evt_inv_1")
        assert resp.status_code == 200
    # the same payment under another event id (Stripe sends one per endpoint) is still once
    again = completed(client, account, inv, session_id(url), "pi_inv_1", 10000)
    assert again.get_json()["outcome"] == "duplicate"
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "PAID" and view["paid_cents"] == 10000
    (payment,) = view["payments"]
    assert payment["method"] == "card" and payment["source"] == "online"
    assert payment["stripe_payment_intent"] == "pi_inv_1"
    assert view["pay_url"] is None
    topics = [t for t, _, _ in outbox_topics(rt, tenant)]
    assert topics.count("payment_receipt") == 1
