"""Cloudflare Turnstile verification for public lead intake (SPEC §5.3)."""

from __future__ import annotations

import requests

from shared import circuit
from shared.errors import BadRequest, ServiceUnavailable
from shared.runtime import current_runtime

TIMEOUT_SECONDS = 5


def captcha_required(tenant_mode: str) -> bool:
    """Turnstile is on when the tenant turned it on or the platform default is turnstile."""
    return tenant_mode == "turnstile" or current_runtime().settings.captcha_mode == "turnstile"


def verify_turnstile(token: str | None, remote_ip: str | None) -> None:
    """Check ``token`` with Turnstile's siteverify; any failure is 400 ``captcha_failed``."""
    if not token:
        raise BadRequest("Complete the captcha.", code="captcha_failed")
    settings = current_runtime().settings

    def call():
        resp = requests.post(
            settings.turnstile_verify_url,
            data={
                "secret": settings.turnstile_secret_key,
                "response": token,
                "remoteip": remote_ip or "",
            },
            timeout=TIMEOUT_SECONDS,
        )
        resp.raise_for_status()
        return resp.json()

    try:
        outcome = circuit.call("captcha", call)
    except (requests.RequestException, ValueError, ServiceUnavailable) as exc:
        # ServiceUnavailable: the breaker is open after repeated failures. The visitor's answer is
        # the same as for one failure (SPEC §5.3: failure is a 400), not a 503 that reads as ours.
        raise BadRequest(
            "The captcha could not be checked; try again.", code="captcha_failed"
        ) from exc
    if not isinstance(outcome, dict) or outcome.get("success") is not True:
        raise BadRequest("The captcha was not accepted.", code="captcha_failed")
