"""Checking a TOTP code at sign-in (API and console alike); enrolment lives in the control plane."""

from __future__ import annotations

import hmac
import logging
import time
from datetime import UTC, datetime

import pyotp
import redis

from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.auth.totp")


def accept_code(user_id, secret: str, code: str, now: float | None = None) -> bool:
    """True when ``code`` is valid for the current 30 s step or one step either side and has not
    been accepted before: a code seen once (login, verify or disable) cannot be replayed."""
    totp = pyotp.TOTP(secret)
    at = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    current = totp.timecode(at)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), str(code)):
            key = f"auth:totp-used:{user_id}:{step}"
            try:
                return bool(current_runtime().redis.set(key, 1, nx=True, ex=totp.interval * 4))
            except redis.RedisError:
                log.warning("TOTP replay guard unavailable (Redis); code accepted")
                return True
    return False
