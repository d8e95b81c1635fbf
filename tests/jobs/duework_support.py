"""Helpers for the due-work tests: tombstones (the janitor kind) and queued due-work jobs."""

from __future__ import annotations

import uuid

from rq import Queue
from rq.job import Job
from sqlalchemy import func, select

from jobs import queues
from shared import db
from shared.tenancy import tenant_context
from tenantapp.photos.janitor import add_tombstone
from tenantapp.photos.models import StorageTombstone


def ref_of(rt, tenant_id):
    return rt.tenants.by_id(uuid.UUID(str(tenant_id)))


def add_tomb(rt, tenant_id, *, signal: bool = True, fail: bool = False) -> int:
    """Commit one tombstone in the tenant (with its janitor signal unless ``signal=False``)."""
    from jobs import signals

    with tenant_context(ref_of(rt, tenant_id)):
        try:
            with db.transaction() as tx:
                ref = f"tenants/{tenant_id}/photos/{uuid.uuid4().hex}.jpg"
                if signal:
                    tomb = add_tombstone(tx, ref, None)  # signals the janitor itself
                    signals.tombstone_added(tx, tomb)  # a second signal is one entry
                else:  # as if the signal were lost
                    tomb = StorageTombstone(storage_ref=ref, attempts=0, next_attempt_at=func.now())
                    tx.add(tomb)
                    tx.flush()
                if fail:
                    raise RuntimeError("the request failed after the tombstone")
                return tomb.id
        finally:
            db.close_session()


def tomb_count(rt, tenant_id) -> int:
    with tenant_context(ref_of(rt, tenant_id)):
        try:
            return db.session().scalar(select(func.count()).select_from(StorageTombstone))
        finally:
            db.close_session()


def due_jobs(redis, queue_name: str = queues.MAINTENANCE) -> list[Job]:
    """The ``run_due_work`` jobs waiting in ``queue_name``."""
    q = Queue(queue_name, connection=redis)
    jobs = [Job.fetch(job_id, connection=redis) for job_id in q.job_ids]
    return [j for j in jobs if j.func_name == "jobs.dispatch.run_due_work"]
