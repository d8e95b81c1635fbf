"""Usage per billing period, drift, and hourly reporting to Stripe Billing Meters (SPEC §4.4).

Which usage is reported: the per-period metrics (``api_requests``, ``bookings_created``) of tenants
that have a Stripe customer, up to 35 days back (Stripe's limit; Stripe bills only what falls in a
subscription period). Gauges (workers, storage) are limits, not billable quantities, and stay
local. Each usage event becomes at most one meter event
whose ``identifier`` — also the idempotency key — is derived from the usage event's id, and a row in
``meter_reports`` records what was sent, when, and how many attempts it took.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, case, cast, exists, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert

from controlplane.billing import stripe_client
from controlplane.billing.models import BillingAccount, MeterReport
from shared import db
from shared.entitlements import next_period, period_start, usage
from shared.errors import ServiceUnavailable
from shared.models.plans import METRIC_LIMITS, PERIODIC_METRICS, UsageEvent
from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.billing.metering")

METER_EVENT_NAMES = {
    "api_requests": "cleanplane_api_requests",
    "bookings_created": "cleanplane_bookings_created",
    "sms_segments": "cleanplane_sms_segments",
}
STRIPE_MAX_AGE = timedelta(days=35)  # Stripe refuses meter events older than this
BATCH_SIZE = 500
REPORT_LOCK_KEY = 0x4350_4D45_5445_52  # "CPMETER": one reporter at a time


def recomputed_usage(sess, tenant_id, now: datetime | None = None) -> dict[str, int]:
    """Usage per metric recomputed from the usage events (this period for periodic metrics).

    Periodic events are bounded on both sides: a booking for a later month is an event dated at
    the start of that month (``entitlements.counted_at``) and belongs to that period."""
    first = period_start(now)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(next_period(first), datetime.min.time(), tzinfo=UTC)
    in_period = (UsageEvent.metric.notin_(PERIODIC_METRICS)) | (
        (UsageEvent.occurred_at >= start) & (UsageEvent.occurred_at < end)
    )
    rows = sess.execute(
        select(UsageEvent.metric, func.coalesce(func.sum(UsageEvent.quantity), 0))
        .where(UsageEvent.tenant_id == tenant_id, in_period)
        .group_by(UsageEvent.metric)
    ).all()
    out = dict.fromkeys(METRIC_LIMITS, 0)
    out.update({metric: int(total) for metric, total in rows if metric in out})
    return out


def drift(sess, tenant_id, now: datetime | None = None) -> dict[str, int]:
    """Recorded (counter) minus recomputed (events) usage per metric; all zero when in step."""
    recorded = usage(sess, tenant_id, now)
    recomputed = recomputed_usage(sess, tenant_id, now)
    return {metric: recorded[metric] - recomputed[metric] for metric in METRIC_LIMITS}


IDENTIFIER_PREFIX = "cp-usage-"  # + usage event id: the meter event identifier and idempotency key


def _queue_reports(now: datetime) -> int:
    """Create a pending ``meter_reports`` row for each reportable usage event not yet queued."""
    event_name = case(*[(UsageEvent.metric == m, literal(n)) for m, n in METER_EVENT_NAMES.items()])
    source = (
        select(
            UsageEvent.id,
            UsageEvent.tenant_id,
            literal(IDENTIFIER_PREFIX, String) + cast(UsageEvent.id, String),
            event_name,
            BillingAccount.stripe_customer_id,
            UsageEvent.quantity,
            UsageEvent.occurred_at,
        )
        .join(BillingAccount, BillingAccount.tenant_id == UsageEvent.tenant_id)
        .where(
            BillingAccount.stripe_customer_id.is_not(None),
            UsageEvent.metric.in_(list(METER_EVENT_NAMES)),
            UsageEvent.quantity > 0,
            UsageEvent.occurred_at > now - STRIPE_MAX_AGE,
            UsageEvent.occurred_at <= now,
            ~exists().where(MeterReport.usage_event_id == UsageEvent.id),
        )
        .order_by(UsageEvent.id)
    )
    stmt = (
        insert(MeterReport)
        .from_select(
            [
                "usage_event_id",
                "tenant_id",
                "identifier",
                "event_name",
                "stripe_customer_id",
                "value",
                "occurred_at",
            ],
            source,
        )
        .on_conflict_do_nothing()
        .returning(MeterReport.id)
    )
    with db.transaction() as tx:
        return len(tx.execute(stmt).all())


def _send_pending(now: datetime) -> dict:
    sent = failed = 0
    last_id = 0
    while True:
        with db.transaction() as tx:
            batch = tx.scalars(
                select(MeterReport)
                .where(
                    MeterReport.sent_at.is_(None),
                    MeterReport.id > last_id,
                    MeterReport.occurred_at > now - STRIPE_MAX_AGE,
                )
                .order_by(MeterReport.id)
                .limit(BATCH_SIZE)
            ).all()
        if not batch:
            return {"sent": sent, "failed": failed}
        for report in batch:
            last_id = report.id
            try:
                stripe_client.send_meter_event(
                    report.event_name,
                    report.stripe_customer_id,
                    report.value,
                    report.identifier,
                    int(report.occurred_at.timestamp()),
                )
            except ServiceUnavailable as exc:
                with db.transaction() as tx:
                    tx.execute(
                        MeterReport.__table__.update()
                        .where(MeterReport.id == report.id)
                        .values(attempts=MeterReport.attempts + 1, last_error=str(exc)[:500])
                    )
                failed += 1
                # Stripe is failing: stop here, the next run resumes with the same identifiers.
                return {"sent": sent, "failed": failed}
            with db.transaction() as tx:
                tx.execute(
                    MeterReport.__table__.update()
                    .where(MeterReport.id == report.id)
                    .values(
                        attempts=MeterReport.attempts + 1,
                        sent_at=datetime.now(UTC),
                        last_error=None,
                    )
                )
            sent += 1


def report_usage_to_stripe(now: datetime | None = None) -> dict:
    """Job (hourly): send unreported usage to Stripe Billing Meters, each identifier once.

    A Stripe error stops the run and leaves the rest pending; the next run resends with the same
    identifier as idempotency key, so Stripe counts every usage event once.
    """
    rt = current_runtime()
    now = now or datetime.now(UTC)
    with rt.engine.connect() as lock_conn:
        got = lock_conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": REPORT_LOCK_KEY})
        lock_conn.commit()
        if not got:
            return {"queued": 0, "sent": 0, "failed": 0, "skipped": "another run holds the lock"}
        try:
            queued = _queue_reports(now)
            result = _send_pending(now)
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": REPORT_LOCK_KEY})
            lock_conn.commit()
            db.close_session()
    return {"queued": queued, **result}
