"""Plan entitlements: ``consume(tenant, metric, amount)`` inside the caller's transaction.

One conditional UPDATE enforces the limit, so two requests racing for the last unit cannot both win:
the row lock serialises them and the second sees the first's increment. Periodic metrics have one
counter row per period (calendar month, UTC), created on demand, so a booking counted in a later
period (the month of its start) never touches this month's count; ``release`` gives a unit back
to the period it was counted in, once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.errors import LimitReached
from shared.models.plans import (
    GAUGE_PERIOD,
    METRIC_LIMITS,
    PERIODIC_METRICS,
    Plan,
    UsageCounter,
    UsageEvent,
)
from shared.models.tenants import Tenant
from shared.tenancy import TenantRef


def period_start(now: datetime | None = None) -> date:
    """The usage period (calendar month, UTC) that contains ``now``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return date(now.year, now.month, 1)


def next_period(period: date) -> date:
    """The first day of the period after ``period``."""
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


def counted_at(service_start: datetime, now: datetime | None = None) -> datetime:
    """When a unit of work that starts at ``service_start`` is counted (SPEC §4.4).

    It counts in the period that contains its start: ``now`` while that is the current period,
    else the first instant of that later period (the usage event's ``occurred_at``, so metering
    and drift see it in that period and Stripe gets it once the period has begun).
    """
    now = now or datetime.now(UTC)
    first = datetime.combine(period_start(service_start), time.min, tzinfo=UTC)
    return max(now, first)


def counter_period(metric: str, when: datetime) -> date:
    """The counter row a change lands in: the period of ``when``, or GAUGE_PERIOD for gauges."""
    return period_start(when) if metric in PERIODIC_METRICS else GAUGE_PERIOD


# One row per (tenant, metric, period) for periodic metrics, created on demand; gauges keep one
# row at GAUGE_PERIOD. The conditional UPDATE is the whole limit check (SPEC §4.4).
_CONSUME = text(
    """
    UPDATE public.usage_counters AS uc
       SET used = uc.used + CAST(:n AS bigint)
     WHERE uc.tenant_id = :t AND uc.metric = :m AND uc.period_start = :period
       AND (
         CAST(:n AS bigint) <= 0 OR CAST(:limit_col AS text) IS NULL OR
         uc.used + CAST(:n AS bigint) <=
         (SELECT CASE CAST(:limit_col AS text)
                   WHEN 'max_workers' THEN pl.max_workers::bigint
                   WHEN 'bookings_per_month' THEN pl.bookings_per_month::bigint
                   WHEN 'storage_bytes' THEN pl.storage_bytes
                   WHEN 'sms_segments_per_month' THEN pl.sms_segments_per_month::bigint
                 END
            FROM public.tenants t JOIN public.plans pl ON pl.code = t.plan_code
           WHERE t.id = :t)
       )
    RETURNING uc.used
    """
)


def ensure_counters(sess: Session, tenant_id, now: datetime | None = None) -> None:
    """Create the tenant's counter rows for the period of ``now`` (idempotent)."""
    when = now or datetime.now(UTC)
    rows = [
        {"tenant_id": tenant_id, "metric": m, "period_start": counter_period(m, when), "used": 0}
        for m in METRIC_LIMITS
    ]
    sess.execute(insert(UsageCounter).values(rows).on_conflict_do_nothing())


def usage(sess: Session, tenant_id, now: datetime | None = None) -> dict[str, int]:
    """Usage per metric in the period of ``now`` (periodic metrics) and the gauges' values."""
    when = now or datetime.now(UTC)
    out = dict.fromkeys(METRIC_LIMITS, 0)
    rows = sess.query(UsageCounter).filter(
        UsageCounter.tenant_id == tenant_id,
        UsageCounter.period_start.in_((period_start(when), GAUGE_PERIOD)),
    )
    for row in rows:
        if row.period_start == counter_period(row.metric, when):
            out[row.metric] = row.used
    return out


def consume(
    sess: Session,
    tenant: TenantRef,
    metric: str,
    amount: int = 1,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    upgrade_url: str | None = None,
) -> int:
    """Count ``amount`` of ``metric`` for ``tenant`` or raise 402 ``limit_reached``.

    A periodic metric counts in the period of ``now`` (default: the current instant; see
    ``counted_at`` for work in a later period), which is also the usage event's ``occurred_at``.
    Negative amounts release usage (gauges such as storage). With an ``idempotency_key`` a retried
    call counts once. Runs in the caller's transaction: a rollback undoes the consumption.
    Returns the counter's new value.
    """
    if metric not in METRIC_LIMITS:
        raise ValueError(f"unknown metric {metric!r}")
    when = now or datetime.now(UTC)
    period = counter_period(metric, when)
    if idempotency_key is not None:
        inserted = sess.execute(
            insert(UsageEvent)
            .values(
                tenant_id=tenant.id,
                metric=metric,
                quantity=amount,
                idempotency_key=idempotency_key,
                occurred_at=when,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(UsageEvent.id)
        ).first()
        if inserted is None:
            return usage(sess, tenant.id, when)[metric]
    params = {
        "t": tenant.id,
        "m": metric,
        "n": amount,
        "period": period,
        "limit_col": METRIC_LIMITS[metric],
    }
    row = sess.execute(_CONSUME, params).first()
    if row is None and sess.get(UsageCounter, (tenant.id, metric, period)) is None:
        # This period's counter does not exist yet (a new month, or work in a later one).
        sess.execute(
            insert(UsageCounter)
            .values(tenant_id=tenant.id, metric=metric, period_start=period, used=0)
            .on_conflict_do_nothing()
        )
        row = sess.execute(_CONSUME, params).first()
    if row is None:
        limit = limit_for(sess, tenant.id, metric)
        raise LimitReached(
            f"The {tenant.plan} plan allows {limit} {metric.replace('_', ' ')}.",
            metric=metric,
            limit=limit,
            used=_used(sess, tenant.id, metric, period),
            upgrade_url=upgrade_url or "/v1/billing/checkout",
        )
    if idempotency_key is None:
        # Every change to a counter is also a usage event, so usage can be recomputed (drift).
        sess.execute(
            insert(UsageEvent).values(
                tenant_id=tenant.id,
                metric=metric,
                quantity=amount,
                idempotency_key=f"auto:{uuid.uuid4().hex}",
                occurred_at=when,
            )
        )
    return int(row.used)


def release(sess: Session, tenant: TenantRef, consumed_key: str, release_key: str) -> bool:
    """Give back what the usage event ``consumed_key`` counted, in the period it was counted in.

    Idempotent through ``release_key`` (the release is itself a usage event, with the consumed
    event's ``occurred_at``, so metering and drift stay in step). False when there is nothing to
    release (no such event) or it was released before.
    """
    consumed = sess.scalar(select(UsageEvent).where(UsageEvent.idempotency_key == consumed_key))
    if consumed is None or consumed.tenant_id != uuid.UUID(str(tenant.id)):
        return False
    released = sess.scalar(select(UsageEvent.id).where(UsageEvent.idempotency_key == release_key))
    if released is not None:
        return False
    consume(
        sess,
        tenant,
        consumed.metric,
        -consumed.quantity,
        idempotency_key=release_key,
        now=consumed.occurred_at,
    )
    return True


def _used(sess: Session, tenant_id, metric: str, period: date) -> int:
    row = sess.get(UsageCounter, (tenant_id, metric, period))
    return 0 if row is None else int(row.used)


def limit_for(sess: Session, tenant_id, metric: str) -> int | None:
    plan = (
        sess.query(Plan)
        .join(Tenant, Tenant.plan_code == Plan.code)
        .filter(Tenant.id == tenant_id)
        .one()
    )
    return plan.limit_for(metric)


def consume_batch(
    sess: Session, tenant: TenantRef, metric: str, keys: list[str], when: datetime
) -> bool:
    """Count one unit per key (each key once, ever) in the period of ``when``, all or nothing.

    For bulk work that would otherwise pay two round trips per unit (the recurring plans' horizon
    job): one multi-row insert of the usage events, then one conditional counter update for the
    units not counted before. Returns False — having changed nothing — when the units do not all
    fit under the limit; the caller then counts them one by one with ``consume``. Runs in a
    savepoint of the caller's transaction.
    """
    if not keys:
        return True
    period = counter_period(metric, when)
    with sess.begin_nested() as nested:
        inserted = sess.execute(
            insert(UsageEvent)
            .values(
                [
                    {
                        "tenant_id": tenant.id,
                        "metric": metric,
                        "quantity": 1,
                        "idempotency_key": key,
                        "occurred_at": when,
                    }
                    for key in keys
                ]
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(UsageEvent.id)
        ).all()
        n = len(inserted)
        if n == 0:
            return True
        params = {
            "t": tenant.id,
            "m": metric,
            "n": n,
            "period": period,
            "limit_col": METRIC_LIMITS[metric],
        }
        row = sess.execute(_CONSUME, params).first()
        if row is None and sess.get(UsageCounter, (tenant.id, metric, period)) is None:
            sess.execute(
                insert(UsageCounter)
                .values(tenant_id=tenant.id, metric=metric, period_start=period, used=0)
                .on_conflict_do_nothing()
            )
            row = sess.execute(_CONSUME, params).first()
        if row is None:
            nested.rollback()
            return False
    return True
