"""Billing tests run against an app whose Stripe API base is the local stub."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from shared import circuit
from shared.models.plans import Plan
from shared.runtime import Runtime, use_runtime
from tests.stripe_stub import sign, start_stub, stop_stub
from tests.support import ApiClient

WEBHOOK_SECRET = "whsec_test_" + "b" * 32
PRICES = {"pro": "price_pro_test", "business": "price_business_test"}


@pytest.fixture(scope="session")
def stripe_stub():
    stub = start_stub()
    yield stub
    stop_stub(stub)


@pytest.fixture(scope="session")
def billing_runtime(settings, migrated, stripe_stub):
    rt = Runtime(
        settings.replace(stripe_api_base=stripe_stub.url, stripe_webhook_secret=WEBHOOK_SECRET)
    )
    with rt.owner_engine.begin() as conn:
        for code, price in PRICES.items():
            conn.execute(update(Plan).where(Plan.code == code).values(stripe_price_id=price))
    yield rt
    rt.dispose()


@pytest.fixture(scope="session")
def billing_app(billing_runtime):
    from wsgi import create_wsgi

    return create_wsgi(runtime=billing_runtime)


@pytest.fixture()
def client(billing_app) -> ApiClient:
    return ApiClient(billing_app)


@pytest.fixture()
def rt(billing_runtime):
    with use_runtime(billing_runtime):
        yield billing_runtime


@pytest.fixture(autouse=True)
def _fresh_stub(stripe_stub):
    stripe_stub.reset()
    circuit.reset_all()
    yield
    circuit.reset_all()


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
