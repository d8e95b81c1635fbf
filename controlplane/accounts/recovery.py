"""Password reset by e-mail and e-mail verification.

Reset tokens are random, stored hashed, valid for 30 minutes and used once; the request endpoint
answers the same whether or not the address has an account. Verification tokens are signed
(itsdangerous) over the user id and the address, so a changed address invalidates them.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from controlplane.accounts import mailer
from controlplane.accounts.models import PasswordResetToken
from shared import db
from shared.auth.passwords import policy_problem
from shared.auth.sessions import forget_after_commit, revoke_sessions
from shared.auth.signin import passwords
from shared.auth.tokens import hash_token, new_refresh_token
from shared.errors import BadRequest, ValidationFailed
from shared.limits import login_failures
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

RESET_TTL = timedelta(minutes=30)
VERIFY_MAX_AGE_SECONDS = 3 * 24 * 3600
_VERIFY_SALT = "cleanplane.verify-email"


def _base_url() -> str:
    return current_runtime().settings.public_base_url.rstrip("/")


def reset_token_usable(row: PasswordResetToken | None, now: datetime) -> bool:
    """Unused and strictly before its expiry (valid for exactly ``RESET_TTL``)."""
    return row is not None and row.used_at is None and now < row.expires_at


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """E-mail a reset link when ``email`` belongs to a member of a live workspace; else nothing.
    The caller always answers 202, so the endpoint cannot be used to probe for accounts."""
    now = now or datetime.now(UTC)
    email = email.strip().lower()
    with db.transaction() as tx:
        user = tx.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(
                User.email == email,
                Membership.active.is_(True),
                Tenant.status.in_(("active", "suspended")),
            )
            .limit(1)
        )
        if user is None:
            return
        raw, digest = new_refresh_token()
        row = PasswordResetToken(user_id=user.id, token_hash=digest, expires_at=now + RESET_TTL)
        tx.add(row)
        tx.flush()
        mailer.send_platform_mail(
            tx,
            "password_reset",
            user.email,
            {"email": user.email, "expires_minutes": int(RESET_TTL.total_seconds() // 60)},
            f"password_reset:{row.id}",
            secrets={"reset_url": f"{_base_url()}/reset-password?token={raw}", "token": raw},
        )


def confirm_password_reset(raw_token: str, new_password: str, now: datetime | None = None):
    """Set a new password with a reset token; the token and every other open one are spent and
    all of the user's sessions are revoked."""
    now = now or datetime.now(UTC)
    problem = policy_problem(new_password)
    if problem:
        raise ValidationFailed([{"field": "new_password", "message": f"new_password {problem}"}])
    with db.transaction() as tx:
        row = tx.scalar(
            select(PasswordResetToken)
            .where(PasswordResetToken.token_hash == hash_token(raw_token))
            .with_for_update()
        )
        # Unknown tokens meet the per-IP login limit; a known token's account also gets the
        # per-account failure limit shared with login.
        user = tx.get(User, row.user_id, with_for_update=True) if row is not None else None
        if user is not None:
            login_failures.check(user.email)
        if not reset_token_usable(row, now):
            if user is not None:
                login_failures.failed(user.email)
            raise BadRequest("This reset link is invalid, used or expired; request a new one.")
        user.password_hash = passwords().hash(new_password)
        user.must_change_password = False
        user.email_verified_at = user.email_verified_at or now  # they read the mailbox
        tx.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
        )
        revoked = revoke_sessions(tx, "password_reset", user_id=user.id)
        email = user.email
    forget_after_commit(revoked)
    login_failures.succeeded(email)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=_VERIFY_SALT)


def verification_token(user: User) -> str:
    return _serializer().dumps({"u": str(user.id), "e": user.email})


def send_verification(sess, user: User) -> None:
    """Queue the verify-your-address e-mail for ``user`` in ``sess``'s transaction (signup calls
    this once the platform outbox is merged)."""
    token = verification_token(user)
    mailer.send_platform_mail(
        sess,
        "verify_email",
        user.email,
        {"email": user.email},
        f"verify_email:{user.id}:{time.time_ns()}",
        secrets={"verify_url": f"{_base_url()}/verify-email?token={token}", "token": token},
    )


def resend_verification(user_id: str) -> None:
    with db.transaction() as tx:
        user = tx.get(User, uuid.UUID(user_id))
        if user is not None and user.email_verified_at is None:
            send_verification(tx, user)


def verify_email(token: str, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    try:
        data = _serializer().loads(token, max_age=VERIFY_MAX_AGE_SECONDS)
        user_id = uuid.UUID(data["u"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadRequest("This verification link is invalid or expired.") from exc
    with db.transaction() as tx:
        user = tx.get(User, user_id, with_for_update=True)
        if user is None or user.email != data.get("e"):
            raise BadRequest("This verification link is invalid or expired.")
        user.email_verified_at = user.email_verified_at or now
    return {"email_verified": True}
