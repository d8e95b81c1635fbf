"""Workspace members: list, change role, deactivate (SPEC §4.1). Invitations, the only way
in, live in ``invitations.py``.

Membership changes for one tenant are serialised on its ``tenants`` row so two concurrent
demotions can never leave a workspace without an owner. Every change bumps the tenant version so
cached session state (role, active) is re-read on the very next request.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_

from shared import db
from shared.auth.sessions import forget_after_commit, revoke_sessions
from shared.errors import Conflict, Forbidden, NotFound
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from shared.pagination import decode_cursor, page
from shared.runtime import current_runtime
from shared.tenancy import TenantRef


def _member_dict(m: Membership, u: User) -> dict:
    return {
        "id": m.id,
        "user_id": u.id,
        "email": u.email,
        "role": m.role,
        "active": m.active,
        "status": "active" if m.active else "deactivated",
        "must_change_password": u.must_change_password,
        "email_verified": u.email_verified_at is not None,
        "totp_enabled": u.totp_enabled,
        "created_at": m.created_at,
    }


def list_members(tenant: TenantRef, args: dict) -> dict:
    stmt = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant.id)
        .order_by(Membership.created_at, Membership.id)
        .limit(args["limit"] + 1)
    )
    after = decode_cursor(args["cursor"], datetime.fromisoformat, uuid.UUID)
    if after:
        stmt = stmt.where(tuple_(Membership.created_at, Membership.id) > tuple_(after[0], after[1]))
    rows = db.session().execute(stmt).all()
    result = page(rows, args["limit"], lambda r: [r[0].created_at.isoformat(), str(r[0].id)])
    result["items"] = [_member_dict(m, u) for m, u in result["items"]]
    return result


def _lock_tenant(tx, tenant_id) -> Tenant:
    return tx.scalar(select(Tenant).where(Tenant.id == tenant_id).with_for_update())


def _membership(tx, tenant_id, membership_id) -> Membership:
    m = tx.scalar(
        select(Membership)
        .where(Membership.id == membership_id, Membership.tenant_id == tenant_id)
        .with_for_update()
    )
    if m is None:
        raise NotFound("No such member.")
    return m


def _active_owners(tx, tenant_id) -> int:
    return tx.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.role == "owner",
            Membership.active.is_(True),
        )
    )


def _repoint_owner(tx, tenant: Tenant) -> None:
    """Keep ``tenants.owner_user_id`` on an active owner (billing mail goes there)."""
    owner = tx.scalar(
        select(Membership.user_id)
        .where(
            Membership.tenant_id == tenant.id,
            Membership.role == "owner",
            Membership.active.is_(True),
        )
        .order_by(Membership.created_at)
        .limit(1)
    )
    tenant.owner_user_id = owner


def change_role(tenant: TenantRef, principal, membership_id: uuid.UUID, role: str) -> dict:
    """Change a member's role; only an owner makes or unmakes an owner; one owner always stays."""
    with db.transaction() as tx:
        row = _lock_tenant(tx, tenant.id)
        m = _membership(tx, tenant.id, membership_id)
        if (role == "owner" or m.role == "owner") and principal.role != "owner":
            raise Forbidden("Only an owner can make or remove an owner.")
        if (
            m.role == "owner"
            and role != "owner"
            and m.active
            and _active_owners(tx, tenant.id) <= 1
        ):
            raise Conflict("A workspace needs an owner: make someone else owner first.")
        m.role = role
        tx.flush()
        if row.owner_user_id == m.user_id and role != "owner":
            _repoint_owner(tx, row)
        user = tx.get(User, m.user_id)
        out = _member_dict(m, user)
    current_runtime().tenants.bump(tenant.id)
    return out


def deactivate(tenant: TenantRef, principal, membership_id: uuid.UUID) -> dict:
    """Deactivate a member and revoke their sessions at once."""
    with db.transaction() as tx:
        row = _lock_tenant(tx, tenant.id)
        m = _membership(tx, tenant.id, membership_id)
        if str(m.user_id) == principal.user_id:
            raise Conflict("You cannot deactivate yourself.")
        if m.role == "owner" and principal.role != "owner":
            raise Forbidden("Only an owner can remove an owner.")
        if m.role == "owner" and m.active and _active_owners(tx, tenant.id) <= 1:
            raise Conflict("A workspace needs an owner: make someone else owner first.")
        revoked = []
        if m.active:
            m.active = False
            revoked = revoke_sessions(tx, "member_deactivated", membership_id=m.id)
            tx.flush()
            if row.owner_user_id == m.user_id:
                _repoint_owner(tx, row)
        out = _member_dict(m, tx.get(User, m.user_id))
    forget_after_commit(revoked)
    current_runtime().tenants.bump(tenant.id)
    return out
