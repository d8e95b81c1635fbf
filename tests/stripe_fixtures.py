"""Fixtures for tests that talk to the local Stripe stand-in: one stub per session, one runtime
and app pointed at it (platform and Connect webhook secrets set), a fresh stub and breaker per test.

Imported by the ``tests/billing`` and ``tests/payments`` conftests (fixtures for those directories).
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from shared import circuit
from shared.models.plans import Plan
from shared.runtime import Runtime, use_runtime
from tests.stripe_stub import start_stub, stop_stub
from tests.support import ApiClient

WEBHOOK_SECRET = "whsec_test_" + "b" * 32
CONNECT_SECRET = "whsec_connect_test_" + "c" * 32
PRICES = {"pro": "price_pro_test", "business": "price_business_test"}


@pytest.fixture(scope="session")
def stripe_stub():
    stub = start_stub()
    yield stub
    stop_stub(stub)


@pytest.fixture(scope="session")
def stripe_runtime(settings, migrated, stripe_stub):
    rt = Runtime(
        settings.replace(
            stripe_api_base=stripe_stub.url,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_connect_webhook_secret=CONNECT_SECRET,
        )
    )
    with rt.owner_engine.begin() as conn:
        for code, price in PRICES.items():
            conn.execute(update(Plan).where(Plan.code == code).values(stripe_price_id=price))
    yield rt
    rt.dispose()


@pytest.fixture(scope="session")
def stripe_app(stripe_runtime):
    from wsgi import create_wsgi

    return create_wsgi(runtime=stripe_runtime)


@pytest.fixture()
def client(stripe_app) -> ApiClient:
    return ApiClient(stripe_app)


@pytest.fixture()
def rt(stripe_runtime):
    with use_runtime(stripe_runtime):
        yield stripe_runtime


@pytest.fixture(autouse=True)
def _fresh_stub(stripe_stub):
    stripe_stub.reset()
    circuit.reset_all()
    yield
    circuit.reset_all()
