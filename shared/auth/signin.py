"""Staff sign-in, one implementation for the API and the console pages.

``check_sign_in`` verifies e-mail, password and (when on) the TOTP code, picks the membership of
the workspace asked for, and counts failures against the e-mail (``RATE_LIMIT_LOGIN_ACCOUNT``)
whatever address they come from. ``POST /v1/auth/login`` then opens a token session; the console
(``shared/web/staff_session.py``) opens the same kind of session behind a cookie.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import db
from shared.auth.guards import forget_sessions
from shared.auth.passwords import Passwords, policy_problem
from shared.auth.sessions import revoke_sessions
from shared.auth.totp import accept_code
from shared.crypto import reveal
from shared.errors import Unauthorized, ValidationFailed, field_error
from shared.limits import login_failures
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

WRONG = "The e-mail or password is wrong."


@lru_cache(maxsize=4)
def _passwords(time_cost: int, memory_cost: int) -> Passwords:
    return Passwords(current_runtime().settings)


def passwords() -> Passwords:
    """The password hasher with this deployment's Argon2 costs."""
    s = current_runtime().settings
    return _passwords(s.argon2_time_cost, s.argon2_memory_cost)


@dataclass(frozen=True)
class SignIn:
    """Who signed in, and into which workspace (the membership the session is bound to)."""

    user_id: uuid.UUID
    email: str
    tenant_id: uuid.UUID
    slug: str
    membership_id: uuid.UUID
    must_change_password: bool


def check_sign_in(
    email: str, password: str, tenant_slug: str | None, mfa_code: str | None
) -> SignIn:
    """Check the credentials or raise ``Unauthorized`` (``mfa_required`` when the code is missing
    or wrong) / 422 on ``tenant`` when several workspaces fit; the attempt after the limit is 429."""
    email = email.strip().lower()
    login_failures.check(email)
    try:
        found = _check(email, password, tenant_slug, mfa_code)
    except Unauthorized as exc:
        if exc.code != "mfa_required" or mfa_code:  # asking for the code is not a failure
            login_failures.failed(email)
        raise
    login_failures.succeeded(email)
    return found


def _check(email: str, password: str, tenant_slug: str | None, mfa_code: str | None) -> SignIn:
    sess = db.session()
    user = sess.scalar(select(User).where(User.email == email))
    if not passwords().verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized(WRONG)
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
        raise Unauthorized(WRONG)
    if len(rows) > 1:
        raise field_error("tenant", "You belong to several workspaces: name one by its slug.")
    if user.totp_enabled:
        if not mfa_code:
            raise Unauthorized("Enter the code from your authenticator app.", code="mfa_required")
        if not accept_code(user.id, reveal(user.totp_secret), mfa_code):
            raise Unauthorized("The authenticator code is wrong.", code="mfa_required")
    chosen = rows[0]
    return SignIn(
        user_id=user.id,
        email=user.email,
        tenant_id=chosen.tenant_id,
        slug=chosen.slug,
        membership_id=chosen.id,
        must_change_password=user.must_change_password,
    )


def change_password(user_id: str, session_id: str, current: str, new: str) -> None:
    """Replace the password of ``user_id`` after checking the current one and the policy; every
    other session of the user is revoked (``session_id``, the caller's, stays). One implementation
    for ``POST /v1/auth/change-password`` and the console's password page."""
    rt = current_runtime()
    with Session(rt.engine) as tx, tx.begin():
        user = tx.get(User, uuid.UUID(user_id), with_for_update=True)
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
            tx, "password_changed", keep=uuid.UUID(session_id), user_id=user.id
        )
    forget_sessions([*others, session_id])
