"""Purge the storage prefixes of deleted tenants (part of the storage janitor, every minute).

A tenant reaches ``deleted`` after its schema is dropped (SPEC §2.7); its objects under
``tenants/<tenant_id>/`` go here. Purged ids are remembered in a Redis set so the job does not list
every old prefix each minute; losing that set only means one more (idempotent) purge per tenant.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from shared.models.tenants import Tenant
from shared.runtime import current_runtime
from shared.storage import current_storage

PURGED_SET = "storage:purged-tenants"
log = logging.getLogger("cleanplane.storage.purge")


def purge_deleted_tenants(limit: int = 50) -> dict[str, int]:
    """Delete the storage prefix of up to ``limit`` deleted tenants not purged yet."""

    rt = current_runtime()
    with rt.engine.connect() as conn:
        ids = [str(i) for i in conn.scalars(select(Tenant.id).where(Tenant.status == "deleted"))]
    outcome = {"tenants": 0, "objects": 0, "failed": 0}
    if not ids:
        return outcome
    done = rt.redis.smismember(PURGED_SET, ids)
    for tenant_id in [t for t, seen in zip(ids, done, strict=True) if not seen][:limit]:
        try:
            outcome["objects"] += current_storage().delete_prefix(f"tenants/{tenant_id}/")
        except Exception:
            # one tenant's failure never stops the others; it is retried next minute
            log.exception("storage purge failed", extra={"tenant_id": tenant_id})
            outcome["failed"] += 1
            continue
        rt.redis.sadd(PURGED_SET, tenant_id)
        outcome["tenants"] += 1
    return outcome
