"""Tenant lifecycle transitions, each recorded with who, when and why."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from jobs import duework
from shared import db
from shared.errors import Conflict, NotFound
from shared.models.tenants import Tenant, TenantEvent
from shared.runtime import current_runtime

# from-status -> allowed to-statuses (SPEC §2.4)
TRANSITIONS = {
    "provisioning": {"active", "provision_failed"},
    "provision_failed": {"provisioning", "deleting"},
    "active": {"suspended", "deleting"},
    "suspended": {"active", "deleting"},
    "deleting": {"deleted"},
    "deleted": set(),
}


def transition(sess, tenant_id: uuid.UUID, to_status: str, *, actor: str, reason: str | None):
    """Move a tenant to ``to_status`` in ``sess``'s transaction (caller commits, then bumps)."""
    tenant = sess.scalar(select(Tenant).where(Tenant.id == tenant_id).with_for_update())
    if tenant is None:
        raise NotFound("No such tenant.")
    if tenant.status == to_status:
        return tenant
    if to_status not in TRANSITIONS[tenant.status]:
        raise Conflict(
            f"A {tenant.status} tenant cannot become {to_status}.", code="invalid_transition"
        )
    sess.add(
        TenantEvent(
            tenant_id=tenant.id,
            from_status=tenant.status,
            to_status=to_status,
            actor=actor,
            reason=reason,
        )
    )
    tenant.status = to_status
    tenant.status_reason = reason
    return tenant


def change_status(tenant_id, to_status: str, *, actor: str, reason: str | None) -> Tenant:
    """Commit a transition and make it visible to every process at once (version bump)."""

    with db.transaction() as tx:
        tenant = transition(tx, tenant_id, to_status, actor=actor, reason=reason)
    runtime = current_runtime()
    runtime.tenants.bump(tenant.id)
    if to_status == "active":
        duework.unpark(runtime.redis, tenant.id)  # work that waited while suspended runs now
    return tenant
