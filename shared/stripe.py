"""The Stripe client factory, calls through the ``stripe`` circuit breaker, webhook verification.

One ``StripeClient`` (stripe SDK 16) per configuration, built on first use — never at import. It
talks to ``STRIPE_API_BASE`` when set (tests point it at a local stand-in), with short timeouts and
a few network retries; the SDK reuses the idempotency key on its own retries.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

import stripe

from shared import circuit
from shared.errors import ServiceUnavailable
from shared.runtime import current_runtime
from shared.settings import Settings

log = logging.getLogger("cleanplane.stripe")

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 15.0
MAX_NETWORK_RETRIES = 2
WEBHOOK_TOLERANCE_SECONDS = 300


class StripeUnavailable(ServiceUnavailable):
    """Stripe answered with an error or could not be reached."""

    code = "payment_provider_unavailable"
    title = "Payment provider unavailable"


class WebhookSignatureInvalid(ValueError):
    """The payload is not signed with our secret, is stale, or is not JSON."""


@lru_cache(maxsize=8)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    bases: dict[str, str] = {}
    if api_base:
        base = api_base.rstrip("/")
        bases = {"api": base, "connect": base, "files": base, "meter_events": base}
    return stripe.StripeClient(
        secret_key,
        base_addresses=bases or None,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)),
    )


def stripe_client(settings: Settings | None = None) -> stripe.StripeClient:
    """The client for ``settings`` (default: the current runtime's)."""
    if settings is None:
        settings = current_runtime().settings
    return _client(settings.stripe_secret_key, settings.stripe_api_base)


def call(fn, *args: Any, **kwargs: Any) -> Any:
    """Call a Stripe SDK method through the ``stripe`` breaker; any Stripe failure is a 503."""

    def guarded():
        try:
            return True, fn(*args, **kwargs)
        except stripe.InvalidRequestError as exc:
            # Stripe is up and refused this request: not a reason to open the circuit.
            return False, exc
        except stripe.StripeError as exc:
            log.warning("stripe call failed: %s", type(exc).__name__)
            raise StripeUnavailable(
                "The payment provider could not complete the request; try again shortly."
            ) from exc

    ok, value = circuit.call("stripe", guarded)
    if not ok:
        log.error("stripe refused a request: %s", getattr(value, "user_message", None) or value)
        raise StripeUnavailable(
            "The payment provider refused the request; the operators have been alerted."
        ) from value
    return value


def verify_webhook(
    payload: bytes, sig_header: str | None, secret: str, tolerance: int = WEBHOOK_TOLERANCE_SECONDS
) -> dict:
    """Check the ``Stripe-Signature`` header (HMAC and age) and return the event as a dict."""
    if not sig_header or not secret:
        raise WebhookSignatureInvalid("missing signature")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance)
        event = json.loads(text)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise WebhookSignatureInvalid(str(exc)) from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise WebhookSignatureInvalid("not an event")
    return event
