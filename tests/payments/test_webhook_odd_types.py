"""Signed Stripe events with odd field types never 500 (platform and Connect webhooks).

The signature proves who sent a payload, not its shape: every envelope and object field is
replaced in turn by a value of another JSON type (and a 5 000-digit integer); the answer is a
2xx (ignored/unmatched) or a 400 problem, never a 500 (``ApiClient`` fails on one)."""

from __future__ import annotations

import copy
import json
import secrets
import time

import pytest

from tests.stripe_fixtures import CONNECT_SECRET, WEBHOOK_SECRET
from tests.stripe_stub import sign

HUGE = "__5000_digit_integer__"  # swapped for the digits in the JSON text (no int is built)
ODD = [None, True, -1, HUGE, 1.5, "", "x" * 300, [], {"id": 1}, ["a"]]


def _post(client, path: str, body, secret: str):
    payload = json.dumps(body).replace(f'"{HUGE}"', "9" * 5000).encode()
    return client.post(
        path,
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret), "Content-Type": "application/json"},
    )


def _variants(base: dict):
    """``base`` with one field (envelope or ``data.object``) replaced by each odd value."""
    for key in list(base):
        if key == "data":
            continue
        for odd in ODD:
            evt = copy.deepcopy(base)
            evt[key] = odd
            yield f"{key}={odd!r:.20}", evt
    for odd in [*ODD, {"object": None}, {"object": []}]:
        evt = copy.deepcopy(base)
        evt["data"] = odd
        yield f"data={odd!r:.20}", evt
    for key in list(base["data"]["object"]):
        for odd in ODD:
            evt = copy.deepcopy(base)
            evt["data"]["object"][key] = odd
            yield f"object.{key}={odd!r:.20}", evt


def _envelope(etype: str, obj: dict, **extra) -> dict:
    return {
        "id": "evt_" + secrets.token_hex(10),
        "object": "event",
        "type": etype,
        "created": int(time.time()),
        "data": {"object": obj},
        **extra,
    }


PLATFORM_OBJECTS = {
    "checkout.session.completed": {
        "id": "cs_1",
        "mode": "subscription",
        "customer": "cus_1",
        "subscription": "sub_1",
        "client_reference_id": "00000000-0000-0000-0000-000000000001",
        "metadata": {"plan": "pro", "tenant_id": "00000000-0000-0000-0000-000000000001"},
        "status": "complete",
        "payment_status": "paid",
    },
    "customer.subscription.updated": {
        "id": "sub_1",
        "customer": "cus_1",
        "status": "active",
        "cancel_at_period_end": False,
        "current_period_end": int(time.time()) + 86400,
        "metadata": {"plan": "pro"},
        "items": {"data": [{"price": {"id": "price_pro_test"}, "current_period_end": 1}]},
    },
    "invoice.payment_failed": {
        "id": "in_1",
        "customer": "cus_1",
        "subscription": "sub_1",
        "amount_due": 900,
        "hosted_invoice_url": "https://example.com/i",
        "lines": {"data": [{"price": {"id": "price_pro_test"}}]},
        "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {}}},
    },
}


@pytest.mark.parametrize("etype", sorted(PLATFORM_OBJECTS))
def test_platform_webhook_odd_field_types_never_500(client, etype):
    seen = set()
    for label, evt in _variants(_envelope(etype, PLATFORM_OBJECTS[etype])):
        if isinstance(evt.get("id"), str):
            evt["id"] = "evt_" + secrets.token_hex(10)  # a fresh event each time
        resp = _post(client, "/v1/stripe/webhook", evt, WEBHOOK_SECRET)
        assert resp.status_code in (200, 400), (label, resp.get_data(as_text=True)[:300])
        if resp.status_code == 400:
            assert resp.mimetype == "application/problem+json", label
        seen.add(resp.status_code)
    assert 400 in seen  # a missing/odd id is refused


CONNECT_OBJECTS = {
    "checkout.session.completed": {
        "id": "cs_1",
        "payment_intent": "pi_1",
        "metadata": {"booking_id": "1"},
    },
    "charge.refunded": {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 500},
    "account.updated": {"id": "acct_1", "charges_enabled": True, "payouts_enabled": True},
}


@pytest.mark.parametrize("etype", sorted(CONNECT_OBJECTS))
def test_connect_webhook_odd_field_types_never_500(client, connected, etype):
    _, account = connected
    base = _envelope(etype, CONNECT_OBJECTS[etype], account=account)
    for label, evt in _variants(base):
        if isinstance(evt.get("id"), str):
            evt["id"] = "evt_" + secrets.token_hex(10)
        resp = _post(client, "/v1/stripe/connect-webhook", evt, CONNECT_SECRET)
        assert resp.status_code in (200, 400), (label, resp.get_data(as_text=True)[:300])
