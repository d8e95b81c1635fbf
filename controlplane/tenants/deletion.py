"""Staged tenant deletion (SPEC §2.7).

``DELETE /v1/ops/tenants/{id}`` moves the tenant to ``deleting`` (its URLs 404 at once, see
``SERVED_STATUSES``) and records ``delete_after = now + TENANT_DELETE_RETENTION_DAYS``. Until then
the schema is intact, so an operator can still take a backup (``flask tenants backup``). The daily
``finish_deletions`` job drops the schemas of tenants past their date and marks them ``deleted``; the
row stays as a tombstone and the storage janitor (``storage_purge``) then removes its objects.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from controlplane.tenants.lifecycle import change_status, transition
from shared import db
from shared.models.tenants import Tenant
from shared.runtime import current_runtime
from shared.tenancy import quoted_schema

SYSTEM_ACTOR = "system:deletion"
log = logging.getLogger("cleanplane.tenants.deletion")


def start_deletion(tenant_id: uuid.UUID, *, actor: str, reason: str, now: datetime | None = None):
    """Move a tenant to ``deleting`` with its retention deadline; idempotent for ``deleting``."""
    rt = current_runtime()
    now = now or datetime.now(UTC)
    with db.transaction() as tx:
        tenant = transition(tx, tenant_id, "deleting", actor=actor, reason=reason)
        if tenant.delete_after is None:
            tenant.delete_after = now + timedelta(days=rt.settings.tenant_delete_retention_days)
    rt.tenants.bump(tenant.id)
    return tenant


def finish_deletions(now: datetime | None = None) -> dict[str, int]:
    """Drop the schema of every ``deleting`` tenant whose ``delete_after`` has passed."""
    rt = current_runtime()
    now = now or datetime.now(UTC)
    with rt.engine.connect() as conn:
        due = conn.execute(
            select(Tenant.id, Tenant.schema_name, Tenant.shard).where(
                Tenant.status == "deleting", Tenant.delete_after <= now
            )
        ).all()
    outcome = {"deleted": 0, "failed": 0}
    with db.isolated_session_scope():
        for tenant_id, schema, shard in due:
            try:
                with rt.shard_owner_engine(shard).begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_schema(schema)} CASCADE")
                change_status(tenant_id, "deleted", actor=SYSTEM_ACTOR, reason="retention ended")
            except Exception:
                # one tenant's failure never blocks the others; the next run retries it
                log.exception("tenant deletion failed", extra={"tenant_id": str(tenant_id)})
                outcome["failed"] += 1
                continue
            outcome["deleted"] += 1
    return outcome
