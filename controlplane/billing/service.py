"""Billing rules: the effective plan, Checkout, the customer portal and the status view."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from controlplane.billing import stripe_client
from controlplane.billing.models import BillingAccount
from controlplane.tenants.service import tenant_detail
from shared import db
from shared.errors import Conflict, field_error
from shared.models.accounts import User
from shared.models.plans import Plan
from shared.models.tenants import Tenant
from shared.runtime import current_runtime
from shared.tenancy import TenantRef

FREE_PLAN = "free"
# The paid plan applies while Stripe still expects to collect (SPEC §4.3).
PAID_STATUSES = frozenset({"active", "trialing", "past_due"})
DELINQUENT_STATUSES = frozenset({"past_due", "unpaid"})
# A subscription in one of these still exists: a second Checkout would double-bill.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid", "paused"})
BILLING_SUSPENSION_REASON = "billing: payment overdue"
CHECKOUT_KEY_WINDOW = 600  # seconds a double-click maps to the same Checkout Session
CHECKOUT_LIFETIME = 3600  # Stripe's minimum is 30 minutes


def effective_plan(account: BillingAccount | None) -> str:
    """The plan a tenant gets: the subscribed plan while it is paid for, else free."""
    if account and account.subscription_status in PAID_STATUSES and account.subscription_plan:
        return account.subscription_plan
    return FREE_PLAN


def account_for_update(sess, tenant_id: uuid.UUID) -> BillingAccount:
    """The tenant's billing row, created if missing, locked for this transaction."""
    sess.execute(insert(BillingAccount).values(tenant_id=tenant_id).on_conflict_do_nothing())
    return sess.scalar(
        select(BillingAccount)
        .where(BillingAccount.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def apply_state(
    account: BillingAccount,
    *,
    status: str,
    at: datetime,
    plan: str | None = None,
    period_end: datetime | None = None,
    cancel_at_period_end: bool | None = None,
) -> bool:
    """Apply a subscription state told at ``at`` unless newer state is already applied."""
    if account.state_at is not None:
        if at < account.state_at:
            return False
        # Stripe's ``created`` has one-second resolution: within a second the later delivery
        # wins, except that ``incomplete`` (a subscription's first state) never follows another.
        if (
            at == account.state_at
            and status == "incomplete"
            and account.subscription_status not in (None, "incomplete")
        ):
            return False
    account.subscription_status = status
    account.state_at = at
    if plan:
        account.subscription_plan = plan
    if period_end is not None:
        account.current_period_end = period_end
    if cancel_at_period_end is not None:
        account.cancel_at_period_end = cancel_at_period_end
    if status in DELINQUENT_STATUSES:
        account.delinquent_since = account.delinquent_since or at
    else:
        account.delinquent_since = None
    return True


def is_billing_suspension(tenant: Tenant) -> bool:
    return tenant.status == "suspended" and (tenant.status_reason or "").startswith(
        BILLING_SUSPENSION_REASON
    )


def sync_tenant(sess, account: BillingAccount) -> bool:
    """Bring ``tenants.plan_code`` (and a billing suspension) in line with ``account``.

    Returns True when the tenant row changed (the caller bumps its version after commit).
    """
    from controlplane.tenants.lifecycle import transition

    tenant = sess.scalar(select(Tenant).where(Tenant.id == account.tenant_id).with_for_update())
    changed = False
    want = effective_plan(account)
    if tenant.plan_code != want:
        tenant.plan_code = want
        changed = True
    if is_billing_suspension(tenant) and account.subscription_status not in DELINQUENT_STATUSES:
        transition(sess, tenant.id, "active", actor="stripe", reason="billing: payment received")
        changed = True
    return changed


def owner_email(sess, tenant_id: uuid.UUID) -> str | None:
    """The e-mail of the tenant's owner (its recorded owner if still one, else any owner)."""
    from shared.models.accounts import Membership

    tenant = sess.get(Tenant, tenant_id)
    rows = sess.execute(
        select(User.id, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.role == "owner",
            Membership.active.is_(True),
        )
        .order_by(Membership.created_at)
    ).all()
    for row in rows:
        if row.id == tenant.owner_user_id:
            return row.email
    return rows[0].email if rows else None


# ---------------------------------------------------------------------- checkout and portal
def _urls() -> tuple[str, str, str]:
    base = current_runtime().settings.public_base_url.rstrip("/")
    return (
        f"{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
        f"{base}/billing/cancel",
        f"{base}/billing",
    )


def _line_item(plan: Plan) -> dict:
    """The plan's Stripe price, or (before an operator has set one) an inline monthly price
    built from the catalogue; the webhook then maps the subscription back by its metadata."""
    if plan.stripe_price_id:
        return {"price": plan.stripe_price_id, "quantity": 1}
    return {
        "price_data": {
            "currency": plan.currency,
            "unit_amount": plan.price_cents,
            "recurring": {"interval": "month"},
            "product_data": {"name": f"Cleanplane {plan.name}", "metadata": {"plan": plan.code}},
        },
        "quantity": 1,
    }


def start_checkout(tenant: TenantRef, user_id: str, plan_code: str, client_key: str | None):
    """A Stripe Checkout Session (subscription mode) for ``plan_code`` → ``{checkout_url}``."""
    sess = db.session()
    plan = sess.get(Plan, plan_code)
    if plan is None or not plan.active:
        raise field_error("plan", "plan is not an available plan")
    if plan.price_cents <= 0:
        raise field_error("plan", "plan is free: nothing to check out")
    account = sess.get(BillingAccount, tenant.id)
    if account and account.stripe_subscription_id and account.subscription_status in LIVE_STATUSES:
        raise Conflict(
            "This workspace already has a subscription; change or pay it in the billing portal."
        )
    success_url, cancel_url, _ = _urls()
    metadata = {"tenant_id": str(tenant.id), "plan": plan.code}
    params: dict = {
        "mode": "subscription",
        "line_items": [_line_item(plan)],
        "client_reference_id": str(tenant.id),
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if account and account.stripe_customer_id:
        params["customer"] = account.stripe_customer_id
    else:
        email = sess.scalar(select(User.email).where(User.id == uuid.UUID(user_id)))
        params["customer_email"] = email
    if client_key:
        key = f"checkout-{tenant.id}-{plan.code}-{client_key}"
    else:
        # A repeated click within the window gets the same session (same key, same params).
        window = int(time.time()) // CHECKOUT_KEY_WINDOW * CHECKOUT_KEY_WINDOW
        key = f"checkout-{tenant.id}-{plan.code}-{window}"
        params["expires_at"] = window + CHECKOUT_LIFETIME
    session = stripe_client.create_checkout_session(params, key)
    return {"checkout_url": session.url, "session_id": session.id}


def portal(tenant: TenantRef) -> dict:
    """A Stripe customer-portal session → ``{url}``; 409 before the tenant has a customer."""
    account = db.session().get(BillingAccount, tenant.id)
    if account is None or not account.stripe_customer_id:
        raise Conflict("There is no billing account yet: subscribe with Checkout first.")
    _, _, return_url = _urls()
    session = stripe_client.create_portal_session(account.stripe_customer_id, return_url)
    return {"url": session.url}


def status(tenant: TenantRef) -> dict:
    """Plan, subscription state, limits, usage this period and metering drift."""
    from controlplane.billing.metering import drift

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


def billing_url() -> str:
    """Where an owner settles billing (the web app's billing page)."""
    from shared.runtime import current_runtime

    return current_runtime().settings.public_base_url.rstrip("/") + "/billing"
