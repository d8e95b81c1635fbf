"""The Stripe API calls billing makes, each through the ``stripe`` circuit breaker."""

from __future__ import annotations

from typing import Any

from shared import stripe as stripe_api


def create_checkout_session(params: dict[str, Any], idempotency_key: str) -> Any:
    client = stripe_api.stripe_client()
    return stripe_api.call(
        client.v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key}
    )


def create_portal_session(customer: str, return_url: str) -> Any:
    client = stripe_api.stripe_client()
    return stripe_api.call(
        client.v1.billing_portal.sessions.create, {"customer": customer, "return_url": return_url}
    )


def send_meter_event(
    event_name: str, customer: str, value: int, identifier: str, timestamp: int
) -> Any:
    """One Billing Meter event; ``identifier`` doubles as the idempotency key."""
    client = stripe_api.stripe_client()
    params = {
        "event_name": event_name,
        "identifier": identifier,
        "timestamp": timestamp,
        "payload": {"stripe_customer_id": customer, "value": str(value)},
    }
    return stripe_api.call(
        client.v1.billing.meter_events.create, params, {"idempotency_key": identifier}
    )
