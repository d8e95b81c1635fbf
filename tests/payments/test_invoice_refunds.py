"""Refunds of card payments through Stripe from ``POST /admin/invoices/{id}/refunds`` (SPEC
§5.11): on the connected account, with the credit note of the same amount, once per key, and
nothing written when Stripe fails."""

from tests.invoices.helpers import get, idem
from tests.payments.conftest import post_connect_event
from tests.payments.invoice_helpers import completed, issued, pay, post, session_id


def _paid_online(client, tenant, account, cents=10000, intent="pi_paid"):
    inv = issued(client, tenant, cents)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), intent, cents)
    return inv


def _refund(client, tenant, inv, cents, key=None):
    return client.post(
        tenant.url(f"/admin/invoices/{inv['id']}/refunds"),
        json={"amount_cents": cents, "reason": "Customer not happy"},
        headers=idem(tenant, key),
    )


def test_a_card_refund_goes_back_through_stripe_with_its_credit_note(
    client, connected, stripe_stub
):
    tenant, account = connected
    inv = _paid_online(client, tenant, account)
    resp = _refund(client, tenant, inv, 3000, key="refund-1")
    assert resp.status_code == 201, resp.get_json()
    (call,) = stripe_stub.succeeded("/v1/refunds")
    assert call.stripe_account == account and call.form["payment_intent"] == "pi_paid"
    assert int(call.form["amount"]) == 3000
    view = resp.get_json()
    (refund,) = view["refunds"]
    assert refund["stripe_refund_id"] and refund["stripe_refund_id"].startswith("re_")
    assert refund["method"] == "card" and refund["amount_cents"] == 3000
    assert view["status"] == "PAID" and view["refunded_cents"] == 3000
    assert view["credited_cents"] == 3000 and view["amount_due_cents"] == 0  # nothing due again
    # the same Idempotency-Key → the stored answer, no second refund at Stripe
    again = _refund(client, tenant, inv, 3000, key="refund-1")
    assert again.status_code == 201 and len(stripe_stub.succeeded("/v1/refunds")) == 1
    # Stripe's charge.refunded for our own refund records nothing more
    evt = post_connect_event(
        client,
        "charge.refunded",
        {
            "id": "ch_paid",
            "payment_intent": "pi_paid",
            "amount_refunded": 3000,
            "refunds": {"data": [{"id": refund["stripe_refund_id"]}]},
        },
        account,
    )
    assert evt.get_json()["outcome"] == "already_recorded"
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["refunded_cents"] == 3000


def test_refunding_everything_makes_the_invoice_refunded(client, connected, stripe_stub):
    tenant, account = connected
    inv = _paid_online(client, tenant, account)
    resp = _refund(client, tenant, inv, 10000)
    assert resp.status_code == 201
    assert resp.get_json()["status"] == "REFUNDED" and resp.get_json()["amount_due_cents"] == 0
    assert _refund(client, tenant, inv, 1).status_code in (409, 422)  # nothing left to refund


def test_more_than_was_paid_is_422_and_nothing_reaches_stripe(client, connected, stripe_stub):
    tenant, account = connected
    inv = _paid_online(client, tenant, account)
    assert _refund(client, tenant, inv, 10001).status_code == 422
    assert stripe_stub.calls("/v1/refunds") == []


def test_a_refund_over_cash_and_card_sends_only_the_card_share_to_stripe(
    client, connected, stripe_stub
):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    post(
        client,
        tenant,
        f"/admin/invoices/{inv['id']}/payments",
        {"amount_cents": 4000, "method": "cash"},
        status=201,
    )
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_mixed", 6000)
    resp = _refund(client, tenant, inv, 8000)
    assert resp.status_code == 201, resp.get_json()
    (call,) = stripe_stub.succeeded("/v1/refunds")
    assert int(call.form["amount"]) == 6000 and call.form["payment_intent"] == "pi_mixed"
    refunds = sorted((r["method"], r["amount_cents"]) for r in resp.get_json()["refunds"])
    assert refunds == [("card", 6000), ("cash", 2000)]
    assert len(resp.get_json()["credit_notes"]) == 1
    assert resp.get_json()["credit_notes"][0]["total_cents"] == 8000


def test_stripe_down_on_a_refund_is_503_and_nothing_is_written(client, connected, stripe_stub):
    tenant, account = connected
    inv = _paid_online(client, tenant, account)
    stripe_stub.fail_next(10)
    resp = _refund(client, tenant, inv, 3000)
    assert resp.status_code == 503 and resp.content_type == "application/problem+json"
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["refunded_cents"] == 0 and view["credit_notes"] == [] and view["refunds"] == []
    stripe_stub.reset()
    ok = _refund(client, tenant, inv, 3000)
    assert ok.status_code == 201
    # the credit note took the number the failed attempt gave back (gapless)
    assert ok.get_json()["credit_notes"][0]["number"].endswith("-000001")


def test_another_tenants_invoice_cannot_be_refunded(client, connected, tenant, stripe_stub):
    t, account = connected
    inv = _paid_online(client, t, account)
    resp = client.post(
        tenant.url(f"/admin/invoices/{inv['id']}/refunds"),
        json={"amount_cents": 100, "reason": "x"},
        headers=idem(tenant),
    )
    assert resp.status_code == 404 and stripe_stub.calls("/v1/refunds") == []
