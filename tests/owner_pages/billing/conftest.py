"""The billing page's tests run against an app whose Stripe API base is the local stand-in."""

from tests.stripe_fixtures import (  # noqa: F401 - fixtures for this directory
    _fresh_stub,
    client,
    rt,
    stripe_app,
    stripe_runtime,
    stripe_stub,
)
