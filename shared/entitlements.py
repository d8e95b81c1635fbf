"""Plan entitlements: ``consume(tenant, metric, amount)`` inside the caller's transaction.

One conditional UPDATE enforces the limit, so two requests racing for the last unit cannot both win:
the row lock serialises them and the second sees the first's increment.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.errors import LimitReached
from shared.models.plans import METRIC_LIMITS, PERIODIC_METRICS, Plan, UsageCounter, UsageEvent
from shared.models.tenants import Tenant
from shared.tenancy import TenantRef


def period_start(now: datetime | None = None) -> date:
    now = now or datetime.now(UTC)
    return date(now.year, now.month, 1)


_CONSUME = text(
    """
    WITH p AS (
      SELECT CAST(:n AS bigint) AS n, CAST(:period AS date) AS period,
             CAST(:periodic AS boolean) AS periodic, CAST(:limit_col AS text) AS limit_col
    )
    UPDATE public.usage_counters AS uc
       SET used = (CASE WHEN p.periodic AND uc.period_start < p.period THEN 0 ELSE uc.used END)
                  + p.n,
           period_start = GREATEST(uc.period_start, p.period)
      FROM p
     WHERE uc.tenant_id = :t AND uc.metric = :m
       AND (
         p.n <= 0 OR p.limit_col IS NULL OR
         (CASE WHEN p.periodic AND uc.period_start < p.period THEN 0 ELSE uc.used END) + p.n <=
         (SELECT CASE p.limit_col
                   WHEN 'max_workers' THEN pl.max_workers::bigint
                   WHEN 'bookings_per_month' THEN pl.bookings_per_month::bigint
                   WHEN 'storage_bytes' THEN pl.storage_bytes
                 END
            FROM public.tenants t JOIN public.plans pl ON pl.code = t.plan_code
           WHERE t.id = :t)
       )
    RETURNING uc.used
    """
)


def ensure_counters(sess: Session, tenant_id, now: datetime | None = None) -> None:
    """Create the tenant's counter rows (idempotent)."""
    rows = [
        {"tenant_id": tenant_id, "metric": m, "period_start": period_start(now), "used": 0}
        for m in METRIC_LIMITS
    ]
    sess.execute(insert(UsageCounter).values(rows).on_conflict_do_nothing())


def usage(sess: Session, tenant_id, now: datetime | None = None) -> dict[str, int]:
    """Usage per metric for the current period (periodic metrics from earlier periods read 0)."""
    current = period_start(now)
    out = dict.fromkeys(METRIC_LIMITS, 0)
    for row in sess.query(UsageCounter).filter_by(tenant_id=tenant_id):
        stale = row.metric in PERIODIC_METRICS and row.period_start < current
        out[row.metric] = 0 if stale else row.used
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

    Negative amounts release usage (gauges such as storage). With an ``idempotency_key`` a retried
    call counts once. Runs in the caller's transaction: a rollback undoes the consumption.
    """
    if metric not in METRIC_LIMITS:
        raise ValueError(f"unknown metric {metric!r}")
    when = now or datetime.now(UTC)
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
        "period": period_start(when),
        "periodic": metric in PERIODIC_METRICS,
        "limit_col": METRIC_LIMITS[metric],
    }
    row = sess.execute(_CONSUME, params).first()
    if row is None and sess.get(UsageCounter, (tenant.id, metric)) is None:
        ensure_counters(sess, tenant.id, when)
        row = sess.execute(_CONSUME, params).first()
    if row is None:
        limit = limit_for(sess, tenant.id, metric)
        raise LimitReached(
            f"The {tenant.plan} plan allows {limit} {metric.replace('_', ' ')}.",
            metric=metric,
            limit=limit,
            used=usage(sess, tenant.id, when)[metric],
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


def limit_for(sess: Session, tenant_id, metric: str) -> int | None:
    plan = (
        sess.query(Plan)
        .join(Tenant, Tenant.plan_code == Plan.code)
        .filter(Tenant.id == tenant_id)
        .one()
    )
    return plan.limit_for(metric)
