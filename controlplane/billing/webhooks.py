"""Platform Stripe events → tenant billing state (SPEC §4.3).

Each event id is inserted into ``stripe_events`` in the same transaction as the state change it
causes, so a redelivery (or a concurrent duplicate, which waits on the unique key) does nothing.
Events may arrive in any order: subscription state is taken from the object inside the event and
applied only if the event is not older than the state already applied. An event whose tenant is not
known yet (a subscription event before its checkout) is kept with its payload and applied when the
checkout links the customer. Handlers make no Stripe API calls.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert

from controlplane.accounts import mailer
from controlplane.billing.models import BillingAccount, StripeEvent
from controlplane.billing.service import (
    DELINQUENT_STATUSES,
    account_for_update,
    apply_state,
    billing_url,
    owner_email,
    sync_tenant,
)
from controlplane.billing.stripe_objects import (
    first_item,
    invoice_refs,
    plan_code,
    ref_id,
    tenant_hint,
    timestamp,
)
from shared import db
from shared.models.tenants import Tenant
from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.billing.webhooks")


@dataclass
class Outcome:
    outcome: str = "ignored"
    tenant_id: uuid.UUID | None = None
    customer: str | None = None
    subscription: str | None = None
    bump: set = field(default_factory=set)


def handle_event(event: dict) -> str:
    """Store and apply one verified event; returns its outcome (``duplicate`` on redelivery)."""
    created = datetime.fromtimestamp(int(event.get("created") or 0), UTC)
    with db.transaction() as tx:
        fresh = tx.execute(
            insert(StripeEvent)
            .values(
                id=event["id"],
                type=str(event.get("type", ""))[:100],
                stripe_created=created,
                outcome="received",
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(StripeEvent.id)
        ).first()
        if fresh is None:
            return "duplicate"
        result = apply_event(tx, event)
        tx.execute(
            update(StripeEvent)
            .where(StripeEvent.id == event["id"])
            .values(
                outcome=result.outcome,
                tenant_id=result.tenant_id,
                customer_id=result.customer,
                subscription_id=result.subscription,
                payload=event if result.outcome == "unmatched" else None,
            )
        )
    for tenant_id in result.bump:
        current_runtime().tenants.bump(tenant_id)
    return result.outcome


def apply_event(tx, event: dict) -> Outcome:
    handler = HANDLERS.get(event.get("type"))
    obj = (event.get("data") or {}).get("object")
    if handler is None or not isinstance(obj, dict):
        return Outcome("ignored")
    created = datetime.fromtimestamp(int(event.get("created") or 0), UTC)
    return handler(tx, event, obj, created)


def _find_account(tx, tenant_id, customer, subscription) -> BillingAccount | None:
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


def _link_customer(tx, account: BillingAccount, customer: str | None, at: datetime) -> None:
    if customer and account.stripe_customer_id != customer:
        taken = tx.scalar(
            select(BillingAccount.tenant_id).where(BillingAccount.stripe_customer_id == customer)
        )
        if taken is None:
            account.stripe_customer_id = customer
            account.customer_linked_at = account.customer_linked_at or at


def _finish(tx, account: BillingAccount, out: Outcome) -> Outcome:
    out.tenant_id = account.tenant_id
    tx.flush()
    if sync_tenant(tx, account):
        out.bump.add(account.tenant_id)
    return out


# ---------------------------------------------------------------------- handlers
def on_checkout_completed(tx, event, session: dict, created: datetime) -> Outcome:
    customer, sub_id = ref_id(session.get("customer")), ref_id(session.get("subscription"))
    out = Outcome("ignored", customer=customer, subscription=sub_id)
    if session.get("mode", "subscription") != "subscription":
        return out
    metadata = session.get("metadata") or {}
    tenant_id = tenant_hint(metadata) or tenant_hint(
        {"tenant_id": session.get("client_reference_id")}
    )
    account = _find_account(tx, tenant_id, customer, sub_id)
    if account is None:
        out.outcome = "unmatched"
        return out
    _link_customer(tx, account, customer, created)
    if sub_id and (
        account.stripe_subscription_id is None
        or account.state_at is None
        or created >= account.state_at
    ):
        account.stripe_subscription_id = sub_id
    out.outcome = "stale"
    # ``completed`` means complete; a delayed payment method reports ``unpaid`` until it settles.
    paid = session.get("status", "complete") == "complete" and session.get(
        "payment_status", "paid"
    ) in {"paid", "no_payment_required"}
    plan = plan_code(tx, None, metadata.get("plan"))
    if plan and account.subscription_plan is None:
        account.subscription_plan = plan  # remembered for subscription events without metadata
    if paid and plan and apply_state(account, status="active", at=created, plan=plan):
        out.outcome = "applied"
    elif not paid:
        out.outcome = "applied"  # linked the customer; the subscription events carry the state
    _finish(tx, account, out)
    _replay_unmatched(tx, customer, sub_id, out)
    return out


def on_subscription(tx, event, sub: dict, created: datetime) -> Outcome:
    sub_id, customer = ref_id(sub.get("id")), ref_id(sub.get("customer"))
    out = Outcome("unmatched", customer=customer, subscription=sub_id)
    account = _find_account(tx, tenant_hint(sub.get("metadata")), customer, sub_id)
    if account is None:
        return out
    _link_customer(tx, account, customer, created)
    status = "canceled" if event["type"] == "customer.subscription.deleted" else sub.get("status")
    if not isinstance(status, str):
        out.outcome = "ignored"
        return _finish(tx, account, out)
    current = account.stripe_subscription_id
    if current and sub_id != current:
        # Another subscription than the tenant's current one: it only takes over if it is newer
        # and alive; the end of an old one never downgrades the tenant.
        newer = account.state_at is None or created > account.state_at
        if not newer or status in {"canceled", "incomplete_expired"}:
            out.outcome = "stale"
            return _finish(tx, account, out)
    item = first_item(sub)
    plan = plan_code(
        tx,
        ref_id(item.get("price")),
        (sub.get("metadata") or {}).get("plan"),
        account.subscription_plan if sub_id == current else None,
    )
    applied = apply_state(
        account,
        status=status,
        at=created,
        plan=plan,
        period_end=timestamp(sub.get("current_period_end"))
        or timestamp(item.get("current_period_end")),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
    )
    if applied:
        account.stripe_subscription_id = sub_id
    out.outcome = "applied" if applied else "stale"
    return _finish(tx, account, out)


def on_invoice_paid(tx, event, invoice: dict, created: datetime) -> Outcome:
    customer, sub_id, metadata, price = invoice_refs(invoice)
    out = Outcome("unmatched", customer=customer, subscription=sub_id)
    account = _find_account(tx, tenant_hint(metadata), customer, sub_id)
    if account is None:
        return out
    _link_customer(tx, account, customer, created)
    if not sub_id or (account.stripe_subscription_id and sub_id != account.stripe_subscription_id):
        out.outcome = "ignored"
        return _finish(tx, account, out)
    out.outcome = "stale"
    status = account.subscription_status
    if status is None or status in DELINQUENT_STATUSES or status == "incomplete":
        plan = plan_code(tx, price, metadata.get("plan"), account.subscription_plan)
        if plan and apply_state(account, status="active", at=created, plan=plan):
            account.stripe_subscription_id = sub_id
            out.outcome = "applied"
    return _finish(tx, account, out)


def on_invoice_failed(tx, event, invoice: dict, created: datetime) -> Outcome:
    customer, sub_id, metadata, _ = invoice_refs(invoice)
    out = Outcome("unmatched", customer=customer, subscription=sub_id)
    account = _find_account(tx, tenant_hint(metadata), customer, sub_id)
    if account is None:
        return out
    _link_customer(tx, account, customer, created)
    if not sub_id or (account.stripe_subscription_id and sub_id != account.stripe_subscription_id):
        out.outcome = "ignored"
        return _finish(tx, account, out)
    out.outcome = "stale"
    if account.subscription_status in {"active", "trialing"} and apply_state(
        account, status="past_due", at=created
    ):
        out.outcome = "applied"
    _notify_owner(tx, account.tenant_id, "payment_failed", invoice, event)
    return _finish(tx, account, out)


def on_invoice_action_required(tx, event, invoice: dict, created: datetime) -> Outcome:
    customer, sub_id, metadata, _ = invoice_refs(invoice)
    out = Outcome("unmatched", customer=customer, subscription=sub_id)
    account = _find_account(tx, tenant_hint(metadata), customer, sub_id)
    if account is None:
        return out
    _link_customer(tx, account, customer, created)
    _notify_owner(tx, account.tenant_id, "action_required", invoice, event)
    out.outcome = "applied"
    return _finish(tx, account, out)


def _notify_owner(tx, tenant_id, notice: str, invoice: dict, event: dict) -> None:
    """A ``billing_notice`` e-mail (``payment_failed`` or ``action_required``) to the owner."""
    to = owner_email(tx, tenant_id)
    if not to:
        return
    tenant = tx.get(Tenant, tenant_id)
    invoice_id = ref_id(invoice.get("id")) or event["id"]
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
            "amount_due_cents": invoice.get("amount_due"),
            "hosted_invoice_url": invoice.get("hosted_invoice_url"),
        },
        f"billing_notice:{notice}:{tenant_id}:{invoice_id}",
        tenant_id=tenant_id,
    )


def _replay_unmatched(tx, customer: str | None, sub_id: str | None, out: Outcome) -> None:
    """Apply events that arrived before the checkout told us whose customer this is."""
    clauses = []
    if customer:
        clauses.append(StripeEvent.customer_id == customer)
    if sub_id:
        clauses.append(StripeEvent.subscription_id == sub_id)
    if not clauses:
        return
    waiting = tx.scalars(
        select(StripeEvent)
        .where(StripeEvent.outcome == "unmatched", or_(*clauses))
        .order_by(StripeEvent.stripe_created, StripeEvent.received_at)
        .with_for_update()
    ).all()
    for row in waiting:
        result = apply_event(tx, row.payload)
        row.outcome = result.outcome
        row.tenant_id = result.tenant_id
        if result.outcome != "unmatched":
            row.payload = None
        out.bump |= result.bump


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "customer.subscription.created": on_subscription,
    "customer.subscription.updated": on_subscription,
    "customer.subscription.deleted": on_subscription,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_failed,
    "invoice.payment_action_required": on_invoice_action_required,
}
