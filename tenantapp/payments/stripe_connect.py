"""The Stripe Connect calls, on the tenant's connected account: deposits (SPEC §5.4), invoice
Checkout, the card on file, off-session charges and refunds (SPEC §5.11).

Every call goes through ``shared.stripe.call`` (the ``stripe`` circuit breaker, timeouts, a 503
``payment_provider_unavailable`` on failure) and carries an idempotency key naming its cause.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

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
    stripe_customer: str | None = None,
) -> Any:
    client = stripe_api.stripe_client()
    params: dict[str, Any] = {
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
        # The card paying the deposit is kept for later invoices (card on file, SPEC §5.11).
        "payment_intent_data": {
            "metadata": {"booking_id": str(booking_id), "tenant_id": tenant_id},
            "setup_future_usage": "off_session",
        },
        "success_url": return_url,
        "cancel_url": return_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if stripe_customer:
        params["customer"] = stripe_customer
    else:
        params["customer_creation"] = "always"
    return stripe_api.call(
        client.v1.checkout.sessions.create, params, _opts(account, f"deposit:{booking_id}")
    )


def create_invoice_session(
    *,
    account: str,
    invoice_id: int,
    tenant_id: str,
    amount_cents: int,
    currency: str,
    description: str,
    return_url: str,
    attempt: int,
    stripe_customer: str | None = None,
) -> Any:
    """Checkout (mode payment) for what is due on an invoice; key
    ``invoice:<id>:<amount_due_cents>:<attempt>``."""
    client = stripe_api.stripe_client()
    meta = {"invoice_id": str(invoice_id), "tenant_id": tenant_id}
    params: dict[str, Any] = {
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
        "metadata": meta,
        "payment_intent_data": {"metadata": meta},
        "success_url": return_url,
        "cancel_url": return_url,
    }
    if stripe_customer:
        params["customer"] = stripe_customer
    key = f"invoice:{invoice_id}:{amount_cents}:{attempt}"
    return stripe_api.call(client.v1.checkout.sessions.create, params, _opts(account, key))


def create_customer(account: str, customer_id: int, name: str, email: str | None) -> Any:
    """The customer's Stripe Customer on the connected account (once per customer)."""
    client = stripe_api.stripe_client()
    params: dict[str, Any] = {"name": name, "metadata": {"customer_id": str(customer_id)}}
    if email:
        params["email"] = email
    return stripe_api.call(
        client.v1.customers.create, params, _opts(account, f"customer:{customer_id}")
    )


def create_setup_session(
    *, account: str, stripe_customer: str, customer_id: int, currency: str, return_url: str
) -> Any:
    """Checkout in setup mode: the customer saves a card for later charges."""
    client = stripe_api.stripe_client()
    params = {
        "mode": "setup",
        "currency": currency.lower(),
        "customer": stripe_customer,
        "metadata": {"customer_id": str(customer_id), "purpose": "card_setup"},
        "setup_intent_data": {"metadata": {"customer_id": str(customer_id)}},
        "success_url": return_url,
        "cancel_url": return_url,
    }
    return stripe_api.call(client.v1.checkout.sessions.create, params, _opts(account))


def charge_off_session(
    *,
    account: str,
    stripe_customer: str,
    payment_method: str,
    invoice_id: int,
    attempt: int,
    amount_cents: int,
    currency: str,
    description: str,
) -> Any:
    """Charge the saved card without the customer (key ``invoice-charge:<id>:<attempt>``).

    Returns the PaymentIntent, or the ``stripe.CardError`` of a decline or of a card that needs
    the customer to authenticate: a refusal by the card, not an outage (no 503, breaker shut).
    """
    client = stripe_api.stripe_client()
    params = {
        "amount": amount_cents,
        "currency": currency.lower(),
        "customer": stripe_customer,
        "payment_method": payment_method,
        "off_session": True,
        "confirm": True,
        "description": description,
        "metadata": {"invoice_id": str(invoice_id), "purpose": "auto_charge"},
    }

    def create():
        try:
            return client.v1.payment_intents.create(
                params, _opts(account, f"invoice-charge:{invoice_id}:{attempt}")
            )
        except stripe.CardError as exc:
            return exc

    return stripe_api.call(create)


def refund_payment(
    account: str, payment_intent: str, amount_cents: int, key: str, metadata: dict
) -> Any:
    """Refund part or all of a card payment (any cause; ``key`` names it)."""
    client = stripe_api.stripe_client()
    params = {"payment_intent": payment_intent, "amount": amount_cents, "metadata": metadata}
    return stripe_api.call(client.v1.refunds.create, params, _opts(account, key))


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
