"""Login, refresh-token rotation, logout, password change and ``me``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import g
from sqlalchemy import select

from shared import db
from shared.auth import signin
from shared.auth.sessions import (
    forget_after_commit,
    issue_tokens,
    open_session,
    revoke_sessions,
)
from shared.auth.signin import check_sign_in
from shared.auth.tokens import REFRESH_TTL, hash_token, new_refresh_token
from shared.errors import Unauthorized
from shared.models.accounts import RefreshToken, User, UserSession
from shared.runtime import current_runtime


def login(email: str, password: str, tenant_slug: str | None, mfa_code: str | None) -> dict:
    """Check the credentials (``shared.auth.signin``, the console's check too) and open a token
    session for the chosen workspace."""
    found = check_sign_in(email, password, tenant_slug, mfa_code)
    with db.transaction() as tx:
        pair = open_session(
            tx,
            current_runtime().settings,
            user_id=found.user_id,
            tenant_id=found.tenant_id,
            membership_id=found.membership_id,
        )
    pair["tenant"] = {"id": found.tenant_id, "slug": found.slug}
    # An invited user still on a temporary password can only change it (guards answer 403
    # password_change_required elsewhere); the flag lets the client go straight there.
    pair["must_change_password"] = found.must_change_password
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
    """Replace the caller's password after checking the current one and the policy
    (``shared.auth.signin.change_password``, the console's password page too)."""
    principal = g.principal
    signin.change_password(principal.user_id, principal.session_id, current, new)


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
