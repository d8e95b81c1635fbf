import json

import pytest

from shared import circuit
from shared.runtime import Runtime, use_runtime
from tests.stripe_stub import sign, start_stub, stop_stub
from tests.support import ApiClient, signup

CONNECT_SECRET = "whsec_connect_test_" + "c" * 32


@pytest.fixture(scope="session")
def stripe_stub():
    stub = start_stub()
    yield stub
    stop_stub(stub)


@pytest.fixture(scope="session")
def pay_runtime(settings, migrated, stripe_stub):
    rt = Runtime(
        settings.replace(
            stripe_api_base=stripe_stub.url, stripe_connect_webhook_secret=CONNECT_SECRET
        )
    )
    yield rt
    rt.dispose()


@pytest.fixture(scope="session")
def pay_app(pay_runtime):
    from wsgi import create_wsgi

    return create_wsgi(runtime=pay_runtime)


@pytest.fixture()
def client(pay_app) -> ApiClient:
    return ApiClient(pay_app)


@pytest.fixture()
def rt(pay_runtime):
    with use_runtime(pay_runtime):
        yield pay_runtime


@pytest.fixture(autouse=True)
def _fresh_stub(stripe_stub):
    stripe_stub.reset()
    circuit.reset_all()
    yield
    circuit.reset_all()


@pytest.fixture()
def connected(client):
    """A tenant that finished Stripe Connect onboarding: ``(tenant, account_id)``."""
    tenant = signup(client)
    resp = client.post(tenant.url("/admin/payments/connect"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return tenant, resp.get_json()["account_id"]


def post_connect_event(
    client,
    etype: str,
    obj: dict,
    account: str,
    *,
    event_id=None,
    secret: str = CONNECT_SECRET,
    timestamp=None,
):
    import secrets
    import time

    body = json.dumps(
        {
            "id": event_id or "evt_" + secrets.token_hex(10),
            "object": "event",
            "type": etype,
            "account": account,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()
    return client.post(
        "/v1/stripe/connect-webhook",
        data=body,
        headers={
            "Stripe-Signature": sign(body, secret, timestamp),
            "Content-Type": "application/json",
        },
    )
