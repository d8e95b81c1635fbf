"""Billing tests run against an app whose Stripe API base is the local stub."""

from __future__ import annotations

import json

import pytest

from tests.stripe_fixtures import (  # noqa: F401 - fixtures for this directory
    PRICES,
    WEBHOOK_SECRET,
    _fresh_stub,
    client,
    rt,
    stripe_app,
    stripe_runtime,
    stripe_stub,
)
from tests.stripe_stub import sign

billing_runtime = stripe_runtime  # the name the billing tests use


@pytest.fixture()
def mails(runtime):
    """Platform mail this test queued, read from the real control-plane outbox."""
    from tests.support import PlatformMails

    return PlatformMails(runtime)


def post_event(client, evt: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    payload = json.dumps(evt).encode()
    return client.post(
        "/v1/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret, timestamp)},
        content_type="application/json",
    )
