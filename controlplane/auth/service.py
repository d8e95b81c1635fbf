"""Login, refresh-token rotation, logout, password change and ``me``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache

from flask import g
from sqlalchemy import select

from controlplane.accounts.totp import accept_code
from controlplane.auth.sessions import (
    forget_after_commit,
    issue_tokens,
    open_session,
    revoke_sessions,
)
from shared import db
from shared.auth.passwords import Passwords, policy_problem
from shared.auth.tokens import REFRESH_TTL, hash_token, new_refresh_token
from shared.crypto import reveal
from shared.errors import Unauthorized, ValidationFailed, field_error
from shared.limits import login_failures
from shared.models.accounts import Membership, RefreshToken, User, UserSession
from shared.models.tenants import Tenant
from shared.runtime import current_runtime


@lru_cache(maxsize=4)
def _passwords(time_cost: int, memory_cost: int) -> Passwords:
    return Passwords(current_runtime().settings)


def passwords() -> Passwords:
    """The password hasher with this deployment's Argon2 costs."""
    s = current_runtime().settings
    return _passwords(s.argon2_time_cost, s.argon2_memory_cost)


def login(email: str, password: str, tenant_slug: str | None, mfa_code: str | None) -> dict:
    """Open a session; failed attempts count against the e-mail (``RATE_LIMIT_LOGIN_ACCOUNT``)
    whatever address they come from, and the attempt after the limit gets 429."""
    email = email.strip().lower()
    login_failures.check(email)
    try:
        pair = _login(email, password, tenant_slug, mfa_code)
    except Unauthorized as exc:
        if exc.code != "mfa_required" or mfa_code:  # asking for the code is not a failure
            login_failures.failed(email)
        raise
    login_failures.succeeded(email)
    return pair


def _login(email: str, password: str, tenant_slug: str | None, mfa_code: str | None) -> dict:
    rt = current_runtime()
    sess = db.session()
    user = sess.scalar(select(User).where(User.email == email))
    if not passwords().verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("The e-mail or password is wrong.")
    rows = sess.execute(
        select(Membership.id, Tenant.id.label("tenant_id"), Tenant.slug)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(
            Membership.user_id == user.id,
            Membership.active.is_(True),
            Tenant.status.in_(("active", "suspended")),
        )
        .order_by(Tenant.slug)
    ).all()
    if tenant_slug:
        rows = [r for r in rows if r.slug == tenant_slug]
    if not rows:
        raise Unauthorized("The e-mail or password is wrong.")
    if len(rows) > 1:
        raise field_error("tenant", "You belong to several workspaces: name one by its slug.")
    if user.totp_enabled:
        if not mfa_code:
            raise Unauthorized("Enter the code from your authenticator app.", code="mfa_required")
        if not accept_code(user.id, reveal(user.totp_secret), mfa_code):
            raise Unauthorized("The authenticator code is wrong.", code="mfa_required")
    chosen = rows[0]
    with db.transaction() as tx:
        pair = open_session(
            tx, rt.settings, user_id=user.id, tenant_id=chosen.tenant_id, membership_id=chosen.id
        )
    pair["tenant"] = {"id": chosen.tenant_id, "slug": chosen.slug}
    # An invited user still on a temporary password can only change it (guards answer 403
    # password_change_required elsewhere); the flag lets the client go straight there.
    pair["must_change_password"] = user.must_change_password
    return pair


def refresh(raw_token: str) -> dict:
    """Rotate a refresh token. Presenting an already-rotated token revokes the whole session."""
    rt = current_runtime()
    now = datetime.now(UTC)
    with db.transaction() as tx:
        token = tx.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == hash_token(raw_token))
            .with_for_update()
        )
        if token is None:
            raise Unauthorized("The refresh token is not valid.")
        session = tx.get(UserSession, token.session_id, with_for_update=True)
        if token.used_at is not None:
            revoked = revoke_sessions(tx, "refresh_token_reuse", id=token.session_id)
            tx.commit()
            forget_after_commit(revoked)
            raise Unauthorized("This refresh token was already used; the session is revoked.")
        if session.revoked_at is not None or token.expires_at < now or session.expires_at < now:
            raise Unauthorized("The session has ended; log in again.")
        token.used_at = now
        raw, digest = new_refresh_token()
        tx.add(RefreshToken(session_id=session.id, token_hash=digest, expires_at=now + REFRESH_TTL))
        pair = issue_tokens(rt.settings, session.id, session.user_id, session.tenant_id)
        pair["refresh_token"] = raw
    return pair


def logout() -> None:
    """Revoke the caller's session: its access and refresh tokens stop working at once."""
    sid = uuid.UUID(g.principal.session_id)
    with db.transaction() as tx:
        ids = revoke_sessions(tx, "logout", id=sid)
    forget_after_commit(ids)


def change_password(current: str, new: str) -> None:
    """Replace the caller's password after checking the current one and the policy."""
    principal = g.principal
    with db.transaction() as tx:
        user = tx.get(User, uuid.UUID(principal.user_id), with_for_update=True)
        if not passwords().verify(user.password_hash, current):
            raise Unauthorized("The current password is wrong.")
        problem = policy_problem(new)
        if problem:
            raise ValidationFailed(
                [{"field": "new_password", "message": f"new_password {problem}"}]
            )
        if passwords().verify(user.password_hash, new):
            raise field_error("new_password", "new_password must differ from the current one")
        user.password_hash = passwords().hash(new)
        user.must_change_password = False
        others = revoke_sessions(
            tx, "password_changed", keep=uuid.UUID(principal.session_id), user_id=user.id
        )
    forget_after_commit([*others, principal.session_id])


def me() -> dict:
    """The caller, the tenant of the token and the caller's role there."""
    principal = g.principal
    tenant = g.staff_tenant
    user = db.session().get(User, uuid.UUID(principal.user_id))
    return {
        "user": {
            "id": user.id,
            "email": user.email,
            "email_verified": user.email_verified_at is not None,
            "totp_enabled": user.totp_enabled,
        },
        "tenant": {
            "id": tenant.id,
            "slug": tenant.slug,
            "status": tenant.status,
            "plan": tenant.plan,
            "company_name": tenant.company_name,
        },
        "role": principal.role,
        "must_change_password": principal.must_change_password,
    }
