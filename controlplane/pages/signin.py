"""The credential check of ``/login``: e-mail + password, the workspace when there are several,
and the 2FA code — the same rules, messages and per-account failure limit as
``POST /v1/auth/login`` (``controlplane.auth.service``), without opening an API session (the page
opens a console session instead).

Between the steps the page keeps what was typed in a *ticket*: e-mail and password encrypted with
the deployment's data keys (``shared.crypto``), bound to the browser's form nonce and valid ten
minutes, so each step checks the credentials again through one implementation and the password
never sits in the page in clear text.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from controlplane.auth.service import passwords
from controlplane.auth.totp import accept_code
from shared import db
from shared.crypto import DecryptionFailed, decrypt, encrypt, reveal
from shared.errors import Unauthorized, field_error
from shared.limits import login_failures
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant

WRONG = "The e-mail or password is wrong."
TICKET_SECONDS = 600


@dataclass(frozen=True)
class SignIn:
    user_id: uuid.UUID
    email: str
    tenant_id: uuid.UUID
    slug: str
    membership_id: uuid.UUID
    must_change_password: bool


def _memberships(user_id):
    return (
        db.session()
        .execute(
            select(Membership.id, Tenant.id.label("tenant_id"), Tenant.slug, Tenant.company_name)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(
                Membership.user_id == user_id,
                Membership.active.is_(True),
                Tenant.status.in_(("active", "suspended")),
            )
            .order_by(Tenant.company_name, Tenant.slug)
        )
        .all()
    )


def check_sign_in(email: str, password: str, tenant_slug: str | None, code: str | None) -> SignIn:
    """Raise ``Unauthorized`` (``mfa_required`` for the code), 422 on ``tenant`` when several
    workspaces fit, 429 after the per-account limit; else who signs in where."""
    email = email.strip().lower()
    login_failures.check(email)
    try:
        found = _check(email, password, tenant_slug, code)
    except Unauthorized as exc:
        if exc.code != "mfa_required" or code:  # asking for the code is not a failure
            login_failures.failed(email)
        raise
    login_failures.succeeded(email)
    return found


def _check(email: str, password: str, tenant_slug: str | None, code: str | None) -> SignIn:
    user = db.session().scalar(select(User).where(User.email == email))
    if not passwords().verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized(WRONG)
    rows = _memberships(user.id)
    if tenant_slug:
        rows = [r for r in rows if r.slug == tenant_slug]
    if not rows:
        raise Unauthorized(WRONG)
    if len(rows) > 1:
        raise field_error("tenant", "You belong to several workspaces: name one by its slug.")
    if user.totp_enabled:
        if not code:
            raise Unauthorized("Enter the code from your authenticator app.", code="mfa_required")
        if not accept_code(user.id, reveal(user.totp_secret), code):
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


def workspaces(email: str) -> list[dict]:
    """The workspaces to choose from (called only after the password was accepted)."""
    user = db.session().scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        return []
    return [{"slug": r.slug, "name": r.company_name} for r in _memberships(user.id)]


def ticket(email: str, password: str, nonce: str) -> str:
    return encrypt(json.dumps({"e": email, "p": password, "n": nonce, "t": int(time.time())}))


def open_ticket(value: str, nonce: str) -> tuple[str, str] | None:
    """(e-mail, password) from a ticket of this browser that is less than ten minutes old."""
    try:
        data = json.loads(decrypt(value))
    except (DecryptionFailed, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("n") != nonce:
        return None
    if time.time() - int(data.get("t", 0)) > TICKET_SECONDS:
        return None
    return str(data.get("e", "")), str(data.get("p", ""))
