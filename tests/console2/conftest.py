"""Console part 2 runs against the Stripe stand-in (card refunds, the card-setup link), like
tests/payments."""

import pytest

from tests.stripe_fixtures import (  # noqa: F401 - fixtures for this directory
    _fresh_stub,
    client,
    rt,
    stripe_app,
    stripe_runtime,
    stripe_stub,
)
from tests.support import signup


@pytest.fixture()
def connected(client):
    """A tenant that finished Stripe Connect onboarding: ``(tenant, account_id)``."""
    tenant = signup(client)
    resp = client.post(tenant.url("/admin/payments/connect"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return tenant, resp.get_json()["account_id"]
