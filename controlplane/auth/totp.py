"""TOTP two-factor authentication (pyotp) for owners and admins."""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from datetime import UTC, datetime

import pyotp
import redis

from shared import db
from shared.crypto import encrypt, reveal
from shared.errors import Conflict, field_error
from shared.limits import login_failures
from shared.models.accounts import User
from shared.runtime import current_runtime

ISSUER = "Cleanplane"
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


def _user(tx, user_id: str) -> User:
    return tx.get(User, uuid.UUID(user_id), with_for_update=True)


def _checked_code(user: User, code: str) -> bool:
    """``accept_code`` under the per-account failure limit shared with login."""
    login_failures.check(user.email)
    if accept_code(user.id, reveal(user.totp_secret), code):
        return True
    login_failures.failed(user.email)
    return False


def enroll(user_id: str) -> dict:
    """Start enrolment: a new secret and its otpauth URI; 2FA is on only after ``verify``."""
    with db.transaction() as tx:
        user = _user(tx, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor authentication is already on; disable it first.")
        secret = pyotp.random_base32()
        user.totp_secret = encrypt(secret)  # at rest under DATA_ENCRYPTION_KEYS (SPEC §8)
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return {"secret": secret, "otpauth_uri": uri}


def verify(user_id: str, code: str) -> dict:
    """Turn 2FA on with a code from the enrolled secret; login then needs ``mfa_code``."""
    with db.transaction() as tx:
        user = _user(tx, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor authentication is already on.")
        if not user.totp_secret:
            raise Conflict("Enrol first: POST /v1/auth/2fa/enroll.")
        if not _checked_code(user, code):
            raise field_error("code", "code is not valid for this secret")
        user.totp_enabled = True
    return {"totp_enabled": True}


def disable(user_id: str, code: str) -> dict:
    """Turn 2FA off; needs a current code."""
    with db.transaction() as tx:
        user = _user(tx, user_id)
        if not user.totp_enabled:
            raise Conflict("Two-factor authentication is not on.")
        if not _checked_code(user, code):
            raise field_error("code", "code is not valid")
        user.totp_enabled = False
        user.totp_secret = None
    return {"totp_enabled": False}
