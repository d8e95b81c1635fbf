"""Storage tombstones and the per-tenant storage janitor.

Forgetting an object and deleting it cannot share one transaction, so the transaction that forgets
a photo writes a tombstone; the delete is tried right after commit and, when it fails, retried by
``janitor_run`` (scheduled every minute per tenant) with back-off: 1, 2, 4, 8 minutes. After
``MAX_ATTEMPTS`` failed attempts the tombstone records ``gave_up_at`` and stays for an operator.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from jobs import queues, signals
from jobs.decorators import tenant_job
from shared import db
from shared.errors import ServiceUnavailable
from shared.storage import current_storage
from tenantapp.photos.models import StorageTombstone

MAX_ATTEMPTS = 5
BASE_BACKOFF = timedelta(minutes=1)
log = logging.getLogger("cleanplane.storage.janitor")


def _now() -> datetime:
    return datetime.now(UTC)


def add_tombstone(sess, ref: str, key: str | None) -> StorageTombstone:
    """Queue ``ref`` for deletion in ``sess``'s transaction."""
    tomb = StorageTombstone(storage_ref=ref, storage_key=key, attempts=0, next_attempt_at=_now())
    sess.add(tomb)
    sess.flush()
    signals.tombstone_added(sess, tomb)  # the janitor retries if the delete after commit fails
    return tomb


def record_failure(tomb: StorageTombstone, error: BaseException, now: datetime) -> None:
    tomb.attempts = (tomb.attempts or 0) + 1
    tomb.last_error = f"{type(error).__name__}: {error}"[:1000]
    if tomb.attempts >= MAX_ATTEMPTS:
        tomb.gave_up_at = now
        log.error(
            "storage delete given up after %s attempts", tomb.attempts, extra={"tombstone": tomb.id}
        )
    else:
        tomb.next_attempt_at = now + BASE_BACKOFF * 2 ** (tomb.attempts - 1)


def _attempt(tx, tomb: StorageTombstone, now: datetime) -> bool:
    """Try one delete; True when the object is gone (the tombstone is removed).

    An open breaker (ServiceUnavailable) is re-raised uncounted: storage is down, not the object.
    """
    try:
        current_storage().delete(tomb.storage_ref)
    except ServiceUnavailable:
        raise
    except Exception as exc:  # any backend failure is retried later
        record_failure(tomb, exc, now)
        return False
    tx.delete(tomb)
    return True


def try_delete(tombstone_id: int, now: datetime | None = None) -> bool:
    """Try the delete of one tombstone now (right after the forgetting transaction commits)."""
    now = now or _now()
    try:
        with db.transaction() as tx:
            tomb = tx.get(StorageTombstone, tombstone_id, with_for_update={"skip_locked": True})
            return tomb is None or _attempt(tx, tomb, now)
    except ServiceUnavailable:
        return False


def janitor_run(batch: int = 50, now: datetime | None = None) -> dict[str, int]:
    """Retry up to ``batch`` due tombstones of the current tenant; returns what happened."""
    now = now or _now()
    outcome = {"deleted": 0, "failed": 0, "gave_up": 0}
    with db.transaction() as tx:
        due = tx.scalars(
            select(StorageTombstone)
            .where(StorageTombstone.gave_up_at.is_(None), StorageTombstone.next_attempt_at <= now)
            .order_by(StorageTombstone.next_attempt_at, StorageTombstone.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        for tomb in due:
            try:
                if _attempt(tx, tomb, now):
                    outcome["deleted"] += 1
                    continue
            except ServiceUnavailable:
                log.warning("storage unavailable; janitor stops until the next run")
                break
            outcome["gave_up" if tomb.gave_up_at else "failed"] += 1
    return outcome


@tenant_job(queue=queues.MAINTENANCE, timeout=300)
def storage_janitor(tenant_id) -> dict:
    """Job (every minute, per tenant): retry this tenant's failed storage deletes."""
    return janitor_run()
