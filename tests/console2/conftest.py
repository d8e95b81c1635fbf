"""Console part 2 runs against the Stripe stand-in (card refunds, the card-setup link), like
tests/payments."""

from tests.payments.conftest import connected  # noqa: F401 - a tenant on Stripe Connect
from tests.stripe_fixtures import (  # noqa: F401 - fixtures for this directory
    _fresh_stub,
    client,
    rt,
    stripe_app,
    stripe_runtime,
    stripe_stub,
)
