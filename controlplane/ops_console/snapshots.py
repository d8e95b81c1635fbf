"""The hourly snapshot behind the console's charts: control-plane tables only, kept 400 days.

``take_snapshot(now)`` (the ``ops-snapshot`` schedule, a few minutes past every hour) writes, for
the UTC hour that contains ``now``:

- gauges, the state at that moment: tenants by status (tombstones of ``deleted`` tenants left
  out), MRR by plan (the plan price of every ``active`` or ``suspended`` tenant: the effective plan
  already falls back to free when a subscription is unpaid or cancelled), the platform outbox's
  undelivered messages, tenants with outbox work due in the due-work index, and dead letters by
  kind from the DLQ index;
- counts of finished hours, recomputed from the rows themselves: signups (tenant rows by
  ``created_at``) and API requests (``api_requests`` usage events). Because they are recomputed,
  a missed or failed run heals at the next one; the first run fills the whole 400 days.

Every write is an upsert keyed by (series, hour, label), so a retried job or a second scheduler
changes nothing. The same run deletes what is older than 400 days and refreshes
``tenants.last_activity_at`` from the API requests it counted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from controlplane.mail.models import PlatformOutboxMessage
from controlplane.ops_console.models import OpsPoint, OpsSnapshot
from jobs import duework
from shared import db
from shared.models.plans import Plan, UsageEvent
from shared.models.tenants import Tenant
from shared.outbox.dlq import DlqEntry
from shared.outbox.model import KINDS as DLQ_KINDS
from shared.runtime import current_runtime

KEEP = timedelta(days=400)
RECOUNT_HOURS = 3  # finished hours recounted on every run (late usage flushes land in them)
HOUR = timedelta(hours=1)

# series name -> what it is; the console's charts and the JSON endpoint name these.
SERIES = {
    "signups": "tenants created in the hour",
    "tenants": "tenants by status at the snapshot (deleted left out)",
    "mrr_cents": "monthly recurring revenue by plan at the snapshot, in cents",
    "api_requests": "API requests metered in the hour",
    "outbox_depth": "platform outbox messages undelivered; tenants with outbox work due",
    "dlq_depth": "dead letters by kind (DLQ index)",
}
COUNTS = ("signups", "api_requests")
BILLABLE_STATUSES = ("active", "suspended")


def hour_of(when: datetime) -> datetime:
    """The start of the UTC hour containing ``when``."""
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hourly(column):
    return func.date_trunc("hour", column, "UTC")


def _counts_since(sess, start: datetime, end: datetime) -> list[dict]:
    """Signups and API requests per finished hour in ``[start, end)`` (zero hours included)."""
    created = _hourly(Tenant.created_at)
    signups = dict(
        sess.execute(
            select(created, func.count())
            .where(Tenant.created_at >= start, Tenant.created_at < end)
            .where(Tenant.status != "provision_failed")
            .group_by(created)
        ).all()
    )
    occurred = _hourly(UsageEvent.occurred_at)
    requests = dict(
        sess.execute(
            select(occurred, func.coalesce(func.sum(UsageEvent.quantity), 0))
            .where(UsageEvent.metric == "api_requests")
            .where(UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end)
            .group_by(occurred)
        ).all()
    )
    rows = []
    hour = start
    first_fill = end - start > timedelta(hours=RECOUNT_HOURS + 1)
    while hour < end:
        for series, values in (("signups", signups), ("api_requests", requests)):
            value = int(values.get(hour, 0))
            # A long backfill stores only the hours that had something (zeros are implied);
            # the recount window stores zeros too, so a count that fell back to 0 is corrected.
            if value or not first_fill:
                rows.append({"series": series, "hour": hour, "label": "", "value": value})
        hour += HOUR
    return rows


def _gauges(sess, redis, hour: datetime) -> list[dict]:
    rows: list[dict] = []

    def add(series: str, label: str, value) -> None:
        rows.append({"series": series, "hour": hour, "label": label, "value": int(value or 0)})

    for status, n in sess.execute(
        select(Tenant.status, func.count())
        .where(Tenant.status != "deleted")
        .group_by(Tenant.status)
    ):
        add("tenants", status, n)
    mrr = sess.execute(
        select(Tenant.plan_code, func.sum(Plan.price_cents))
        .join(Plan, Plan.code == Tenant.plan_code)
        .where(Tenant.status.in_(BILLABLE_STATUSES))
        .group_by(Tenant.plan_code)
    ).all()
    billed = dict(mrr)
    for code in sess.scalars(select(Plan.code)):
        add("mrr_cents", code, billed.get(code, 0))
    pending = sess.scalar(
        select(func.count()).where(PlatformOutboxMessage.status.in_(("pending", "sending")))
    )
    add("outbox_depth", "platform", pending)
    due = {k["kind"]: k for k in duework.kind_counts(redis)}
    add("outbox_depth", "tenants_due", due.get("outbox", {}).get("entries", 0))
    dead = dict(
        sess.execute(
            select(DlqEntry.kind, func.coalesce(func.sum(DlqEntry.dead_count), 0)).group_by(
                DlqEntry.kind
            )
        ).all()
    )
    for kind in DLQ_KINDS:
        add("dlq_depth", kind, dead.get(kind, 0))
    return rows


def _upsert(sess, rows: list[dict]) -> None:
    for i in range(0, len(rows), 2000):
        stmt = insert(OpsPoint).values(rows[i : i + 2000])
        sess.execute(
            stmt.on_conflict_do_update(
                index_elements=[OpsPoint.series, OpsPoint.hour, OpsPoint.label],
                set_={"value": stmt.excluded.value},
            )
        )


def _touch_activity(sess, start: datetime) -> int:
    """``tenants.last_activity_at`` = the latest metered API minute since ``start``."""
    latest = (
        select(UsageEvent.tenant_id, func.max(UsageEvent.occurred_at).label("at"))
        .where(UsageEvent.metric == "api_requests", UsageEvent.occurred_at >= start)
        .group_by(UsageEvent.tenant_id)
        .subquery()
    )
    result = sess.execute(
        update(Tenant)
        .where(Tenant.id == latest.c.tenant_id)
        .where((Tenant.last_activity_at.is_(None)) | (Tenant.last_activity_at < latest.c.at))
        .values(last_activity_at=latest.c.at, updated_at=Tenant.updated_at)
    )
    return result.rowcount or 0


def take_snapshot(now: datetime | None = None) -> dict:
    """Record this hour's gauges, recount recent finished hours, drop what is over 400 days old."""
    rt = current_runtime()
    now = now or datetime.now(UTC)
    started = time.monotonic()
    hour = hour_of(now)
    cutoff = hour - KEEP
    try:
        with db.transaction() as tx:
            # One writer at a time per hour; a second scheduler's run waits, then upserts the same.
            tx.execute(text("SELECT pg_advisory_xact_lock(hashtext('ops-snapshot'))"))
            last = tx.scalar(select(func.max(OpsSnapshot.hour)).where(OpsSnapshot.hour < hour))
            since = max(cutoff, last - RECOUNT_HOURS * HOUR) if last else cutoff
            since = min(since, hour - RECOUNT_HOURS * HOUR)
            counts = _counts_since(tx, since, hour)
            gauges = _gauges(tx, rt.redis, hour)
            _upsert(tx, counts + gauges)
            touched = _touch_activity(tx, since)
            dropped = tx.execute(delete(OpsPoint).where(OpsPoint.hour < cutoff)).rowcount
            tx.execute(delete(OpsSnapshot).where(OpsSnapshot.hour < cutoff))
            took = round(1000 * (time.monotonic() - started))
            stmt = insert(OpsSnapshot).values(hour=hour, duration_ms=took)
            tx.execute(
                stmt.on_conflict_do_update(
                    index_elements=[OpsSnapshot.hour],
                    set_={"taken_at": func.now(), "duration_ms": took},
                )
            )
    finally:
        db.close_session()
    return {
        "hour": hour.isoformat(),
        "points": len(counts) + len(gauges),
        "recounted_from": since.isoformat(),
        "activity_updated": touched,
        "dropped": dropped,
    }
