"""The credential check of ``/login`` is the API's (``shared.auth.signin.check_sign_in``: e-mail
+ password, the workspace when there are several, the 2FA code, the per-account failure limit);
this module adds what the page needs between its steps.

Between the steps the page keeps what was typed in a *ticket*: e-mail and password encrypted with
the deployment's data keys (``shared.crypto``), bound to the browser's form nonce and valid ten
minutes, so each step checks the credentials again through one implementation and the password
never sits in the page in clear text.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from shared import db
from shared.auth.signin import SignIn, check_sign_in
from shared.crypto import DecryptionFailed, decrypt, encrypt
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant

__all__ = ["SignIn", "check_sign_in", "open_ticket", "ticket", "workspaces"]

TICKET_SECONDS = 600


def workspaces(email: str) -> list[dict]:
    """The workspaces to choose from (called only after the password was accepted)."""
    user = db.session().scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        return []
    rows = db.session().execute(
        select(Tenant.slug, Tenant.company_name)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(
            Membership.user_id == user.id,
            Membership.active.is_(True),
            Tenant.status.in_(("active", "suspended")),
        )
        .order_by(Tenant.company_name, Tenant.slug)
    )
    return [{"slug": r.slug, "name": r.company_name} for r in rows]


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
