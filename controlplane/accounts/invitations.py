"""Invitations (SPEC §4.1): the only way into someone else's workspace.

``POST /v1/members`` creates an invitation, never a membership, and e-mails a single-use link
(the token is stored as SHA-256 only, valid for exactly 7 days). Whoever opens the link proves
they read that mailbox; accepting then depends on the account behind the address:

- no account: the person chooses a password here; the address is verified by the link;
- a verified account: the person must prove it is them, signed in as that e-mail or by giving
  its password (failures count against the account's sign-in limit);
- an unverified account: anybody could have created it with this address (pre-hijack), so the
  link verifies the address, the password is replaced by the one given here (forced reset),
  TOTP is cleared and every existing session of the account is revoked.

A bad, used, revoked or expired token, or one of a workspace that is gone, is 404
``invitation_invalid`` — the same answer whatever the reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from controlplane.accounts import mailer
from controlplane.accounts.models import Invitation, PasswordResetToken
from shared import db
from shared.auth.passwords import policy_problem
from shared.auth.sessions import forget_after_commit, open_session, revoke_sessions
from shared.auth.signin import passwords
from shared.auth.tokens import hash_token, new_refresh_token
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, field_error
from shared.limits import login_failures
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from shared.runtime import current_runtime
from shared.tenancy import TenantRef

INVITATION_TTL = timedelta(days=7)
LIVE_TENANT = ("active", "suspended")


class InvitationInvalid(NotFound):
    code = "invitation_invalid"
    title = "Invitation not valid"

    def __init__(self):
        super().__init__("This invitation link is not valid: it was used, replaced or expired.")


def accept_url(raw: str) -> str:
    return f"{current_runtime().settings.public_base_url.rstrip('/')}/invitations/{raw}"


def invitation_usable(row: Invitation | None, now: datetime) -> bool:
    """Open (not accepted or revoked) and strictly before its expiry (valid exactly 7 days)."""
    return (
        row is not None
        and row.accepted_at is None
        and row.revoked_at is None
        and now < row.expires_at
    )


def invite(tenant: TenantRef, principal, email: str, role: str, now: datetime | None = None):
    """Create an invitation and queue its e-mail; a pending one for the same address is replaced
    (its link stops working). An active member's address is 409."""
    now = now or datetime.now(UTC)
    email = email.strip().lower()
    if role == "owner" and principal.role != "owner":
        raise Forbidden("Only an owner can add an owner.")
    raw, digest = new_refresh_token()
    with db.transaction() as tx:
        row = tx.scalar(select(Tenant).where(Tenant.id == tenant.id).with_for_update())
        member = tx.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.tenant_id == tenant.id,
                User.email == email,
                Membership.active.is_(True),
            )
        )
        if member is not None:
            raise Conflict("That person is already a member.", field="email")
        tx.execute(
            update(Invitation)
            .where(
                Invitation.tenant_id == tenant.id,
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        inviter = tx.get(User, uuid.UUID(principal.user_id))
        invitation = Invitation(
            tenant_id=tenant.id,
            email=email,
            role=role,
            token_hash=digest,
            invited_by=inviter.id if inviter else None,
            expires_at=now + INVITATION_TTL,
        )
        tx.add(invitation)
        tx.flush()
        mailer.send_platform_mail(
            tx,
            "staff_invite",
            email,
            {
                "email": email,
                "inviter": inviter.email if inviter else "A teammate",
                "company_name": row.company_name,
                "slug": row.slug,
                "role": role,
                "expires_days": INVITATION_TTL.days,
            },
            f"staff_invite:{invitation.id}",
            tenant_id=tenant.id,
            secrets={"accept_url": accept_url(raw)},
        )
        return {
            "id": invitation.id,
            "email": email,
            "role": role,
            "status": "invited",
            "expires_at": invitation.expires_at,
        }


def _open(tx, raw: str, now: datetime, lock: bool = False) -> tuple[Invitation, Tenant]:
    stmt = select(Invitation).where(Invitation.token_hash == hash_token(raw))
    row = tx.scalar(stmt.with_for_update() if lock else stmt)
    if not invitation_usable(row, now):
        raise InvitationInvalid()
    tenant = tx.get(Tenant, row.tenant_id)
    if tenant is None or tenant.status not in LIVE_TENANT:
        raise InvitationInvalid()
    return row, tenant


def _account_state(user: User | None) -> str:
    if user is None:
        return "new"
    return "existing" if user.email_verified_at is not None else "unverified"


def describe(raw: str, now: datetime | None = None) -> dict:
    """Who invites whom to what, and what accepting needs (``account``: new → choose a
    password; existing → sign in or give the password; unverified → choose a new password)."""
    now = now or datetime.now(UTC)
    sess = db.session()
    inv, tenant = _open(sess, raw, now)
    inviter = sess.get(User, inv.invited_by) if inv.invited_by else None
    user = sess.scalar(select(User).where(User.email == inv.email))
    return {
        "email": inv.email,
        "role": inv.role,
        "tenant": {"slug": tenant.slug, "company_name": tenant.company_name},
        "inviter": inviter.email if inviter else None,
        "expires_at": inv.expires_at,
        "account": _account_state(user),
    }


def _new_password(password: str | None) -> str:
    if not password:
        raise field_error("password", "password is required: choose one for your account")
    problem = policy_problem(password)
    if problem:
        raise field_error("password", f"password {problem}")
    return password


def accept(
    raw: str, password: str | None, signed_in_user_id: str | None, now: datetime | None = None
) -> dict:
    """Accept the invitation and open a session in its workspace (see the module docstring)."""
    now = now or datetime.now(UTC)
    rt = current_runtime()
    revoked: list = []
    with db.transaction() as tx:
        inv, tenant = _open(tx, raw, now, lock=True)
        user = tx.scalar(select(User).where(User.email == inv.email).with_for_update())
        state = _account_state(user)
        if state == "new":
            user = User(
                email=inv.email,
                password_hash=passwords().hash(_new_password(password)),
                email_verified_at=now,
                must_change_password=False,
                totp_enabled=False,
            )
            tx.add(user)
            tx.flush()
        elif state == "unverified":
            # Whoever made this account never proved the address: the link holder did.
            user.password_hash = passwords().hash(_new_password(password))
            user.email_verified_at = now
            user.must_change_password = False
            user.totp_enabled, user.totp_secret = False, None
            tx.execute(
                update(PasswordResetToken)
                .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
                .values(used_at=now)
            )
            revoked = revoke_sessions(tx, "invitation_verified_email", user_id=user.id)
        elif signed_in_user_id != str(user.id):
            if not password:
                raise Unauthorized(
                    "This address has an account: sign in as it or give its password."
                )
            login_failures.check(user.email)
            if not passwords().verify(user.password_hash, password):
                login_failures.failed(user.email)
                raise Unauthorized("The password is wrong.")
            login_failures.succeeded(user.email)
        membership = tx.scalar(
            select(Membership)
            .where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
            .with_for_update()
        )
        if membership is None:
            membership = Membership(tenant_id=tenant.id, user_id=user.id, role=inv.role)
            tx.add(membership)
        elif not membership.active:  # a deactivated member comes back with the invited role
            membership.role, membership.active = inv.role, True
        tx.flush()
        inv.accepted_at, inv.accepted_user_id = now, user.id
        pair = open_session(
            tx, rt.settings, user_id=user.id, tenant_id=tenant.id, membership_id=membership.id
        )
        pair.pop("session_id", None)
        pair["tenant"] = {"id": tenant.id, "slug": tenant.slug}
        pair["role"] = membership.role
        pair["must_change_password"] = False
        tenant_id = tenant.id
    forget_after_commit(revoked)
    rt.tenants.bump(tenant_id)
    return pair


def pending(tenant: TenantRef, now: datetime | None = None, limit: int = 100) -> list[dict]:
    """The workspace's open invitations (usable links), newest first."""
    now = now or datetime.now(UTC)
    rows = db.session().scalars(
        select(Invitation)
        .where(
            Invitation.tenant_id == tenant.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at.desc(), Invitation.id)
        .limit(limit)
    )
    return [
        {"id": r.id, "email": r.email, "role": r.role, "expires_at": r.expires_at} for r in rows
    ]


def revoke(tenant: TenantRef, invitation_id: uuid.UUID, now: datetime | None = None) -> None:
    """Revoke an open invitation of the workspace (its link stops working); 404 otherwise."""
    now = now or datetime.now(UTC)
    with db.transaction() as tx:
        done = tx.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.tenant_id == tenant.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        if done.rowcount == 0:
            raise NotFound("No such invitation.")
