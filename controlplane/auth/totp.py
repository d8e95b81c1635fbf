"""TOTP two-factor authentication (pyotp) for owners and admins."""

from __future__ import annotations

import uuid

import pyotp

from shared import db
from shared.auth.totp import accept_code
from shared.crypto import encrypt, reveal
from shared.errors import Conflict, field_error
from shared.limits import login_failures
from shared.models.accounts import User

ISSUER = "Cleanplane"


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
