"""The billing status view; Checkout and the portal are in ``checkout``, the subscription rules in
``subscription``."""

from __future__ import annotations

from controlplane.billing.checkout import portal, start_checkout
from controlplane.billing.metering import drift
from controlplane.billing.models import BillingAccount
from controlplane.tenants.service import tenant_detail
from shared import db
from shared.tenancy import TenantRef

__all__ = ["portal", "start_checkout", "status"]


def status(tenant: TenantRef) -> dict:
    """Plan, subscription state, limits, usage this period and metering drift."""
    sess = db.session()
    detail = tenant_detail(tenant)
    account = sess.get(BillingAccount, tenant.id)
    return {
        "plan": detail["plan"],
        "status": detail["status"],
        "subscription_status": account.subscription_status if account else None,
        "subscription_plan": account.subscription_plan if account else None,
        "current_period_end": account.current_period_end if account else None,
        "cancel_at_period_end": bool(account and account.cancel_at_period_end),
        "delinquent_since": account.delinquent_since if account else None,
        "has_customer": bool(account and account.stripe_customer_id),
        "limits": detail["limits"],
        "usage": detail["usage"],
        "period_start": detail["period_start"],
        "drift": drift(sess, tenant.id),
    }
