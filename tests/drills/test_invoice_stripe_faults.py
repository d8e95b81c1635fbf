"""Drill (slow): Stripe answering 500 and timing out while a customer pays an invoice, staff
refund a card payment and the job charges a card on file.

Each time: the caller gets a 503 (or the job a retry), nothing is half-written, and when Stripe
is back the retry reuses the same idempotency key, so Stripe holds one session, one refund, one
charge — even when the timed-out request had in fact been carried out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared import stripe as stripe_mod
from tenantapp.payments.models import InvoiceCheckout
from tests.invoices.helpers import InTenant, get, idem
from tests.payments.card_helpers import auto_charge_on, charge_row, run_charges, save_card
from tests.payments.conftest import (
    connected,  # noqa: F401 - fixture
    post_connect_event,
)
from tests.payments.invoice_helpers import completed, customer_id, issued, pay, session_id
from tests.stripe_fixtures import (  # noqa: F401 - fixtures for this module
    _fresh_stub,
    client,
    rt,
    stripe_app,
    stripe_runtime,
    stripe_stub,
)
from tests.support import runtime_of

pytestmark = pytest.mark.slow


@pytest.fixture()
def short_stripe_timeout(monkeypatch):
    monkeypatch.setattr(stripe_mod, "READ_TIMEOUT", 0.5)
    stripe_mod._client.cache_clear()
    yield
    stripe_mod._client.cache_clear()


def _fault(stub, fault):
    if fault == "500":
        stub.fail_next(10)
    else:
        stub.delay_next(10, 1.0)


def _settle(stub):
    """Let delayed requests finish at the stand-in, then put it back to normal."""
    import time

    time.sleep(1.2)
    stub.failures_left = 0
    stub.delays_left = 0


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_pay_during_a_stripe_fault(client, connected, stripe_stub, short_stripe_timeout, fault):
    tenant, _ = connected
    inv = issued(client, tenant, 10000)
    _fault(stripe_stub, fault)
    resp = pay(client, tenant, inv)
    assert resp.status_code == 503 and resp.content_type == "application/problem+json"
    with InTenant(runtime_of(client), tenant) as sess:
        assert sess.scalar(select(func.count()).select_from(InvoiceCheckout)) == 0
    _settle(stripe_stub)
    ok = pay(client, tenant, inv)
    assert ok.status_code == 200
    calls = stripe_stub.calls("/v1/checkout/sessions")
    assert {c.idempotency_key for c in calls} == {f"invoice:{inv['id']}:10000:1"}
    made = {c.status for c in calls}
    if fault == "timeout":  # the first request was carried out; the retry got that same session
        assert 200 in made
    assert pay(client, tenant, inv).get_json() == ok.get_json()


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_refund_during_a_stripe_fault(client, connected, stripe_stub, short_stripe_timeout, fault):
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_drill", 10000)
    _fault(stripe_stub, fault)
    body = {"amount_cents": 4000, "reason": "drill"}
    path = tenant.url(f"/admin/invoices/{inv['id']}/refunds")
    headers = idem(tenant)  # a client retries with the same Idempotency-Key
    resp = client.post(path, json=body, headers=headers)
    assert resp.status_code == 503
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert (view["refunded_cents"], view["credited_cents"], view["refunds"]) == (0, 0, [])
    _settle(stripe_stub)
    if fault == "timeout":  # Stripe made the refund; its charge.refunded may come first
        (made,) = {c.idempotency_key for c in stripe_stub.calls("/v1/refunds")}
        assert made.startswith("invoice-refund:")
    ok = client.post(path, json=body, headers=headers)
    assert ok.status_code == 201, ok.get_json()
    keys = {c.idempotency_key for c in stripe_stub.calls("/v1/refunds")}
    assert len(keys) == 1  # one refund at Stripe, however many tries
    (refund,) = ok.get_json()["refunds"]
    assert refund["stripe_refund_id"] and ok.get_json()["refunded_cents"] == 4000


@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_auto_charge_during_a_stripe_fault(
    client, connected, stripe_stub, short_stripe_timeout, fault
):
    tenant, account = connected
    cid = customer_id(client, tenant)
    save_card(client, account, cid)
    auto_charge_on(client, tenant, cid)
    inv = issued(client, tenant, 10000, cid=cid)
    _fault(stripe_stub, fault)
    assert run_charges(client, tenant) == {"stripe_unavailable": 1}
    assert charge_row(client, tenant, inv["id"]).in_flight is True
    assert get(client, tenant, f"/admin/invoices/{inv['id']}")["paid_cents"] == 0
    _settle(stripe_stub)
    assert run_charges(client, tenant, datetime.now(UTC) + timedelta(minutes=16)) == {"charged": 1}
    keys = {c.idempotency_key for c in stripe_stub.calls("/v1/payment_intents")}
    assert keys == {f"invoice-charge:{inv['id']}:1"}
    view = get(client, tenant, f"/admin/invoices/{inv['id']}")
    assert view["status"] == "PAID" and len(view["payments"]) == 1


def test_a_timed_out_refund_reported_by_stripe_first_is_recorded_once(
    client, connected, stripe_stub, short_stripe_timeout
):
    """The refund timed out here but Stripe made it; its charge.refunded arrives, then staff
    retry with the same Idempotency-Key: one refund at Stripe, one on the invoice."""
    tenant, account = connected
    inv = issued(client, tenant, 10000)
    url = pay(client, tenant, inv).get_json()["checkout_url"]
    completed(client, account, inv, session_id(url), "pi_drill2", 10000)
    stripe_stub.delay_next(10, 1.0)
    headers = idem(tenant)
    body = {"amount_cents": 4000, "reason": "drill"}
    path = tenant.url(f"/admin/invoices/{inv['id']}/refunds")
    assert client.post(path, json=body, headers=headers).status_code == 503
    _settle(stripe_stub)
    (made,) = [c for c in stripe_stub.calls("/v1/refunds") if c.status == 200][:1]
    refund_id = stripe_stub._idempotent[(account, made.idempotency_key)][1]["id"]
    evt = post_connect_event(
        client,
        "charge.refunded",
        {
            "id": "ch_drill2",
            "payment_intent": "pi_drill2",
            "amount_refunded": 4000,
            "refunds": {"data": [{"id": refund_id, "amount": 4000}]},
        },
        account,
    )
    assert evt.get_json()["outcome"] == "refund_recorded"
    again = client.post(path, json=body, headers=headers)
    assert again.status_code == 201
    view = again.get_json()
    assert view["refunded_cents"] == 4000 and len(view["refunds"]) == 1
    assert view["refunds"][0]["stripe_refund_id"] == refund_id
    assert len({c.idempotency_key for c in stripe_stub.calls("/v1/refunds")}) == 1
