"""The Stripe Connect calls deposits make, on the tenant's connected account (SPEC §5.4).

Every call goes through ``shared.stripe.call`` (the ``stripe`` circuit breaker, timeouts, a 503
``payment_provider_unavailable`` on failure) and carries an idempotency key naming its cause.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared import stripe as stripe_api
from shared.runtime import current_runtime

MIN_CHECKOUT_MINUTES = 31  # Stripe refuses Checkout expiries under 30 minutes


def _opts(account: str, key: str | None = None) -> dict:
    opts: dict[str, Any] = {"stripe_account": account}
    if key:
        opts["idempotency_key"] = key
    return opts


def create_account(tenant_id: str, email: str | None) -> Any:
    client = stripe_api.stripe_client()
    params = {"type": "express", "metadata": {"tenant_id": tenant_id}}
    if email:
        params["email"] = email
    return stripe_api.call(
        client.v1.accounts.create, params, {"idempotency_key": f"connect-account:{tenant_id}"}
    )


def create_account_link(account: str, refresh_url: str, return_url: str) -> Any:
    client = stripe_api.stripe_client()
    params = {
        "account": account,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": "account_onboarding",
    }
    return stripe_api.call(client.v1.account_links.create, params)


def checkout_expiry(now: datetime | None = None) -> datetime:
    """now + max(31 min, DEPOSIT_HOLD_MINUTES)."""
    hold = max(MIN_CHECKOUT_MINUTES, current_runtime().settings.deposit_hold_minutes)
    return (now or datetime.now(UTC)) + timedelta(minutes=hold)


def create_deposit_session(
    *,
    account: str,
    booking_id: int,
    tenant_id: str,
    amount_cents: int,
    currency: str,
    description: str,
    return_url: str,
    expires_at: datetime,
) -> Any:
    client = stripe_api.stripe_client()
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_cents,
                    "product_data": {"name": description},
                },
            }
        ],
        "metadata": {"booking_id": str(booking_id), "tenant_id": tenant_id},
        "payment_intent_data": {
            "metadata": {"booking_id": str(booking_id), "tenant_id": tenant_id}
        },
        "success_url": return_url,
        "cancel_url": return_url,
        "expires_at": int(expires_at.timestamp()),
    }
    return stripe_api.call(
        client.v1.checkout.sessions.create, params, _opts(account, f"deposit:{booking_id}")
    )


def expire_session(account: str, session_id: str) -> Any:
    client = stripe_api.stripe_client()
    return stripe_api.call(
        client.v1.checkout.sessions.expire, session_id, None, _opts(account, f"expire:{session_id}")
    )


def refund(account: str, payment_intent: str, amount_cents: int, booking_id: int) -> Any:
    client = stripe_api.stripe_client()
    params = {
        "payment_intent": payment_intent,
        "amount": amount_cents,
        "metadata": {"booking_id": str(booking_id)},
    }
    return stripe_api.call(
        client.v1.refunds.create, params, _opts(account, f"refund:{booking_id}:{amount_cents}")
    )
