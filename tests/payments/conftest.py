import json

import pytest

from tests.stripe_fixtures import (  # noqa: F401 - fixtures for this directory
    CONNECT_SECRET,
    _fresh_stub,
    client,
    rt,
    stripe_app,
    stripe_runtime,
    stripe_stub,
)
from tests.stripe_stub import sign
from tests.support import signup


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
