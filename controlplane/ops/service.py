"""Operator views of the fleet and lifecycle actions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_

from controlplane.tenants.deletion import start_deletion
from controlplane.tenants.lifecycle import change_status
from jobs import duework, queues
from jobs.heartbeat import heartbeat_report
from shared import db
from shared.entitlements import usage
from shared.errors import NotFound
from shared.models.tenants import Tenant, TenantEvent
from shared.pagination import decode_cursor, page
from shared.runtime import current_runtime


def list_tenants(args: dict) -> dict:
    """A page of tenants, oldest first, filtered by ``status`` and ``plan`` (operators)."""
    stmt = select(Tenant).order_by(Tenant.created_at, Tenant.id).limit(args["limit"] + 1)
    if args["status"]:
        stmt = stmt.where(Tenant.status == args["status"])
    if args["plan"]:
        stmt = stmt.where(Tenant.plan_code == args["plan"])
    after = decode_cursor(args["cursor"], datetime.fromisoformat, uuid.UUID)
    if after:
        stmt = stmt.where(tuple_(Tenant.created_at, Tenant.id) > tuple_(after[0], after[1]))
    rows = list(db.session().scalars(stmt))
    return page(rows, args["limit"], lambda t: [t.created_at.isoformat(), str(t.id)])


def tenant_detail(tenant_id: uuid.UUID) -> dict:
    """One tenant's row with its lifecycle events; 404 if unknown."""
    sess = db.session()
    tenant = sess.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    events = sess.scalars(
        select(TenantEvent).where(TenantEvent.tenant_id == tenant_id).order_by(TenantEvent.id)
    ).all()
    out = {c.key: getattr(tenant, c.key) for c in Tenant.__mapper__.column_attrs}
    out.update(usage=usage(sess, tenant_id), events=events)
    return out


def delete_tenant(tenant_id: uuid.UUID, operator: str, reason: str):
    """Start deleting a tenant on an operator's behalf (SPEC §2.5)."""
    return start_deletion(tenant_id, actor=f"operator:{operator}", reason=reason)


def set_status(tenant_id: uuid.UUID, to_status: str, operator: str, reason: str):
    """Move a tenant to ``to_status`` on an operator's behalf (suspend / resume)."""
    return change_status(tenant_id, to_status, actor=f"operator:{operator}", reason=reason)


def jobs_report() -> dict:
    """Every RQ queue with its depth and registry counts, worker and scheduler heartbeats, and the
    due-work index (size, due now, oldest due entry, parked, per kind)."""

    redis = current_runtime().redis
    out = []
    for name in queues.ALL:
        q = queues.queue(name, redis)
        out.append(
            {
                "name": name,
                "depth": q.count,
                "started": q.started_job_registry.count,
                "scheduled": q.scheduled_job_registry.count,
                "failed": q.failed_job_registry.count,
            }
        )
    return {
        "queues": out,
        "heartbeats": heartbeat_report(redis),
        "due_work": {**duework.stats(redis), "kinds": duework.kind_counts(redis)},
    }
