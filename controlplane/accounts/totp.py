"""TOTP two-factor authentication (pyotp) for owners and admins."""

from __future__ import annotations

import uuid

import pyotp

from shared import db
from shared.errors import Conflict, field_error
from shared.models.accounts import User

ISSUER = "Cleanplane"


def _user(tx, user_id: str) -> User:
    return tx.get(User, uuid.UUID(user_id), with_for_update=True)


def enroll(user_id: str) -> dict:
    """Start enrolment: a new secret and its otpauth URI; 2FA is on only after ``verify``."""
    with db.transaction() as tx:
        user = _user(tx, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor authentication is already on; disable it first.")
        user.totp_secret = pyotp.random_base32()
        uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return {"secret": user.totp_secret, "otpauth_uri": uri}


def verify(user_id: str, code: str) -> dict:
    """Turn 2FA on with a code from the enrolled secret; login then needs ``mfa_code``."""
    with db.transaction() as tx:
        user = _user(tx, user_id)
        if user.totp_enabled:
            raise Conflict("Two-factor authentication is already on.")
        if not user.totp_secret:
            raise Conflict("Enrol first: POST /v1/auth/2fa/enroll.")
        if not pyotp.TOTP(user.totp_secret).verify(code, valid_window=1):
            raise field_error("code", "code is not valid for this secret")
        user.totp_enabled = True
    return {"totp_enabled": True}


def disable(user_id: str, code: str) -> dict:
    """Turn 2FA off; needs a current code."""
    with db.transaction() as tx:
        user = _user(tx, user_id)
        if not user.totp_enabled:
            raise Conflict("Two-factor authentication is not on.")
        if not pyotp.TOTP(user.totp_secret).verify(code, valid_window=1):
            raise field_error("code", "code is not valid")
        user.totp_enabled = False
        user.totp_secret = None
    return {"totp_enabled": False}
