"""Checkout and the customer portal: the Stripe pages where an owner subscribes and pays."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from controlplane.billing import stripe_client
from controlplane.billing.models import BillingAccount
from controlplane.billing.subscription import LIVE_STATUSES
from shared import db
from shared.errors import Conflict, field_error
from shared.models.accounts import User
from shared.models.plans import Plan
from shared.runtime import current_runtime
from shared.tenancy import TenantRef

CHECKOUT_KEY_WINDOW = 600  # seconds a double-click maps to the same Checkout Session
CHECKOUT_LIFETIME = 3600  # Stripe's minimum is 30 minutes


def billing_page_url(tenant: TenantRef) -> str:
    """The workspace's own Plan and billing page in the console (absolute)."""
    base = current_runtime().settings.public_base_url.rstrip("/")
    return f"{base}/t/{tenant.slug}/console/settings/billing"


def _urls(tenant: TenantRef, return_to: str | None = None) -> tuple[str, str, str]:
    """Where Stripe sends the person back: ``return_to`` (an absolute URL) when given, else the
    workspace's Plan and billing page, which says how Checkout went (``?checkout=``)."""
    back = return_to or billing_page_url(tenant)
    return (
        f"{back}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        f"{back}?checkout=cancelled",
        back,
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


def start_checkout(
    tenant: TenantRef,
    user_id: str,
    plan_code: str,
    client_key: str | None,
    return_to: str | None = None,
):
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
    success_url, cancel_url, _ = _urls(tenant, return_to)
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


def portal(tenant: TenantRef, return_to: str | None = None) -> dict:
    """A Stripe customer-portal session → ``{url}``; 409 before the tenant has a customer."""
    account = db.session().get(BillingAccount, tenant.id)
    if account is None or not account.stripe_customer_id:
        raise Conflict("There is no billing account yet: subscribe with Checkout first.")
    _, _, return_url = _urls(tenant, return_to)
    session = stripe_client.create_portal_session(account.stripe_customer_id, return_url)
    return {"url": session.url}
