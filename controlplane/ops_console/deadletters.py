"""Dead letters across tenants, read from the control-plane DLQ index (no tenant schema read)."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.models.tenants import Tenant
from shared.outbox.dlq import DlqEntry

SHOWN = 500


def dead_letters() -> list[dict]:
    """Scopes (a tenant or ``platform``) and kinds with dead letters, most first."""
    stmt = (
        select(DlqEntry, Tenant.slug, Tenant.status)
        .outerjoin(Tenant, Tenant.id == DlqEntry.tenant_id)
        .where(DlqEntry.dead_count > 0)
        .order_by(DlqEntry.dead_count.desc(), DlqEntry.scope, DlqEntry.kind)
        .limit(SHOWN)
    )
    return [
        {
            "scope": e.scope,
            "tenant_id": e.tenant_id,
            "tenant_slug": slug,
            "tenant_status": status,
            "kind": e.kind,
            "dead_count": e.dead_count,
            "oldest_dead_at": e.oldest_dead_at,
            "updated_at": e.updated_at,
        }
        for e, slug, status in db.session().execute(stmt)
    ]
