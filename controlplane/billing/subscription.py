"""A tenant's subscription: its billing row, the plan it grants and the tenant row that follows.

The domain actions a Stripe event ends in (webhooks → handlers → here → rows); nothing here knows
about events or calls back into the webhook modules.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from controlplane.accounts import mailer
from controlplane.billing.models import BillingAccount
from controlplane.tenants.lifecycle import transition
from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

FREE_PLAN = "free"
# The paid plan applies while Stripe still expects to collect (SPEC §4.3).
PAID_STATUSES = frozenset({"active", "trialing", "past_due"})
DELINQUENT_STATUSES = frozenset({"past_due", "unpaid"})
# A subscription in one of these still exists: a second Checkout would double-bill.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid", "paused"})
BILLING_SUSPENSION_REASON = "billing: payment overdue"


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
    """Whether the tenant is suspended for an overdue payment (which a payment lifts)."""
    return tenant.status == "suspended" and (tenant.status_reason or "").startswith(
        BILLING_SUSPENSION_REASON
    )


def sync_tenant(sess, account: BillingAccount) -> bool:
    """Bring ``tenants.plan_code`` (and a billing suspension) in line with ``account``.

    Returns True when the tenant row changed (the caller bumps its version after commit).
    """
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


def find_account(tx, tenant_id, customer, subscription) -> BillingAccount | None:
    """The billing row (locked) an event names: by tenant id, else by customer or subscription."""
    if tenant_id is not None and tx.get(Tenant, tenant_id) is not None:
        return account_for_update(tx, tenant_id)
    clauses = []
    if customer:
        clauses.append(BillingAccount.stripe_customer_id == customer)
    if subscription:
        clauses.append(BillingAccount.stripe_subscription_id == subscription)
    if not clauses:
        return None
    return tx.scalar(
        select(BillingAccount)
        .where(or_(*clauses))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def link_customer(tx, account: BillingAccount, customer: str | None, at: datetime) -> None:
    """Remember the Stripe customer of ``account`` unless another tenant already has it."""
    if customer and account.stripe_customer_id != customer:
        taken = tx.scalar(
            select(BillingAccount.tenant_id).where(BillingAccount.stripe_customer_id == customer)
        )
        if taken is None:
            account.stripe_customer_id = customer
            account.customer_linked_at = account.customer_linked_at or at


def settle(tx, account: BillingAccount) -> bool:
    """Write ``account`` and bring the tenant row in line; True when the tenant row changed."""
    tx.flush()
    return sync_tenant(tx, account)


def notify_owner(
    tx,
    tenant_id: uuid.UUID,
    notice: str,
    *,
    invoice_id: str,
    amount_due_cents: int | None,
    hosted_invoice_url: str | None,
) -> None:
    """A ``billing_notice`` e-mail (``payment_failed`` or ``action_required``) to the owner,
    once per notice and invoice."""
    to = owner_email(tx, tenant_id)
    if not to:
        return
    tenant = tx.get(Tenant, tenant_id)
    mailer.send_platform_mail(
        tx,
        "billing_notice",
        to,
        {
            "notice": notice,
            "company_name": tenant.company_name,
            "slug": tenant.slug,
            "plan": tenant.plan_code,
            "billing_url": billing_url(),
            "invoice_id": invoice_id,
            "amount_due_cents": amount_due_cents,
            "hosted_invoice_url": hosted_invoice_url,
        },
        f"billing_notice:{notice}:{tenant_id}:{invoice_id}",
        tenant_id=tenant_id,
    )


def billing_url() -> str:
    """Where an owner settles billing (the web app's billing page)."""
    return current_runtime().settings.public_base_url.rstrip("/") + "/billing"
