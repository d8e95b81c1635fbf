"""What a workspace can see of itself: plan, limits and usage this period."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.entitlements import period_start, usage
from shared.models.plans import METRIC_LIMITS, Plan
from shared.tenancy import TenantRef


def plans() -> list[Plan]:
    """The plans a tenant can choose, in catalogue order."""
    return list(
        db.session().scalars(select(Plan).where(Plan.active.is_(True)).order_by(Plan.sort_order))
    )


def limits_of(plan: Plan) -> dict:
    """``{metric: limit}`` of ``plan`` (None: unlimited)."""
    return {metric: plan.limit_for(metric) for metric in METRIC_LIMITS}


def tenant_detail(tenant: TenantRef) -> dict:
    """The tenant's plan, limits and usage this period (what its staff see)."""
    sess = db.session()
    plan = sess.get(Plan, tenant.plan)
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "company_name": tenant.company_name,
        "status": tenant.status,
        "plan": tenant.plan,
        "time_zone": tenant.time_zone,
        "limits": limits_of(plan),
        "usage": usage(sess, tenant.id),
        "period_start": period_start(),
    }
