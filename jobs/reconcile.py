"""Rebuilding the due-work index from the tenant schemas, so a lost signal only delays work.

``reconcile_due_work`` (hourly schedule) walks the active tenants in batches of ``BATCH_SIZE``
(≥ 500) and enqueues one ``reconcile_batch`` job per batch — never one job per tenant. A batch
reads each tenant with ONE statement whose columns are the kinds' next-due subqueries (each
answered by an index) and writes the found times with ``ZADD LT``: an entry only moves earlier.
An entry whose work is already done is harmless: its job finds nothing and records no next time.
Tenants that are not active are skipped (a suspended tenant's work is parked, see
``jobs.duework``); one tenant's failure is logged and the batch goes on.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from rq.utils import import_attribute
from sqlalchemy import select

from jobs import duework, queues
from jobs.decorators import job
from jobs.fanout import active_tenant_ids
from shared import db
from shared.runtime import current_runtime
from shared.tenancy import tenant_context

log = logging.getLogger("jobs.reconcile")

BATCH_SIZE = 500  # tenants per reconcile job (SPEC §6: one job per ≥ 500 tenants)


def next_due_times(now: datetime) -> dict[str, datetime | None]:
    """The current tenant's next due time per kind, in one statement."""
    columns = [
        import_attribute(k.next_due)(now, rebuild=True).scalar_subquery().label(k.name)
        for k in duework.KINDS
    ]
    row = db.session().execute(select(*columns)).one()
    db.session().rollback()
    return dict(zip((k.name for k in duework.KINDS), row, strict=True))


def reconcile_tenants(tenant_ids, now: datetime | None = None) -> dict:
    """Read the given tenants' next due times and write them into the index."""
    runtime = current_runtime()
    now = now or datetime.now(UTC)
    counts = {"tenants": 0, "entries": 0, "skipped": 0, "failed": 0}
    found: list[tuple[str, str, datetime]] = []
    active: list[str] = []
    for raw in tenant_ids:
        ref = runtime.tenants.by_id(uuid.UUID(str(raw)))
        if ref is None or ref.status != "active":
            counts["skipped"] += 1
            continue
        try:
            with tenant_context(ref):
                times = next_due_times(now)
        except Exception:
            counts["failed"] += 1
            log.exception("reconcile could not read a tenant", extra={"tenant_id": str(raw)})
            continue
        counts["tenants"] += 1
        active.append(str(ref.id))
        found += [(str(ref.id), kind, due) for kind, due in times.items() if due is not None]
    with runtime.redis.pipeline(transaction=False) as pipe:
        for tenant_id, kind, due in found:
            duework.signal(pipe, tenant_id, kind, due)
        for tenant_id in active:  # resumed without the lifecycle hook (e.g. a paid invoice)
            duework.unpark(pipe, tenant_id)
        pipe.execute()
    counts["entries"] = len(found)
    return counts


@job(queue=queues.MAINTENANCE, timeout=1800, result_ttl=3600)
def reconcile_batch(tenant_ids: list[str]) -> dict:
    """Job: rebuild the index entries of one batch of tenants."""
    result = reconcile_tenants(tenant_ids)
    log.info("due-work reconcile batch done", extra=result)
    return result


@job(queue=queues.MAINTENANCE, timeout=600, result_ttl=3600)
def reconcile_due_work(batch_size: int = BATCH_SIZE) -> dict:
    """Job (hourly): enqueue one ``reconcile_batch`` per ``batch_size`` active tenants."""
    if batch_size < BATCH_SIZE:
        raise ValueError(f"a reconcile batch holds at least {BATCH_SIZE} tenants")
    runtime = current_runtime()
    batches = tenants = 0
    for ids in active_tenant_ids(runtime.engine, batch_size):
        reconcile_batch.enqueue(runtime, [str(i) for i in ids])
        batches += 1
        tenants += len(ids)
    return {"batches": batches, "tenants": tenants}
