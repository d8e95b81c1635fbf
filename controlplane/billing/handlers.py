"""Stripe objects → subscription actions: one handler per platform event type.

Each handler reads the Stripe object inside the event, finds the tenant's billing row and calls the
domain actions of ``subscription``; it never stores the event (``webhooks`` does) and makes no
Stripe API calls.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from controlplane.billing import subscription
from controlplane.billing.models import BillingAccount
from controlplane.billing.stripe_objects import (
    first_item,
    invoice_refs,
    plan_code,
    ref_id,
    tenant_hint,
    timestamp,
)


@dataclass
class Outcome:
    """What an event did: stored on its ``stripe_events`` row; ``bump`` tenants after commit."""

    outcome: str = "ignored"
    tenant_id: uuid.UUID | None = None
    customer: str | None = None
    subscription: str | None = None
    bump: set = field(default_factory=set)
    replay: bool = False  # apply the events that were waiting for this customer


@dataclass(frozen=True)
class InvoiceRefs:
    subscription: str | None
    metadata: dict
    price: str | None


def _finish(tx, account: BillingAccount, out: Outcome) -> Outcome:
    out.tenant_id = account.tenant_id
    if subscription.settle(tx, account):
        out.bump.add(account.tenant_id)
    return out


def _invoice_account(tx, invoice: dict, created: datetime):
    """The prologue every invoice handler shares: find and link the billing row.

    Returns ``(outcome, account or None, refs)``; the outcome is ``unmatched`` until told otherwise.
    """
    customer, sub_id, metadata, price = invoice_refs(invoice)
    out = Outcome("unmatched", customer=customer, subscription=sub_id)
    account = subscription.find_account(tx, tenant_hint(metadata), customer, sub_id)
    if account is not None:
        subscription.link_customer(tx, account, customer, created)
    return out, account, InvoiceRefs(sub_id, metadata, price)


def _other_subscription(tx, account: BillingAccount, inv: InvoiceRefs, out: Outcome) -> bool:
    """An invoice of no subscription or of another one than the tenant's: ignored (and settled)."""
    current = account.stripe_subscription_id
    if inv.subscription and not (current and inv.subscription != current):
        return False
    out.outcome = "ignored"
    _finish(tx, account, out)
    return True


# ---------------------------------------------------------------------- handlers
def on_checkout_completed(tx, event, session: dict, created: datetime) -> Outcome:
    """A finished Checkout links the customer and subscription; paid → the plan applies."""
    customer, sub_id = ref_id(session.get("customer")), ref_id(session.get("subscription"))
    out = Outcome("ignored", customer=customer, subscription=sub_id)
    if session.get("mode", "subscription") != "subscription":
        return out
    metadata = session.get("metadata") or {}
    tenant_id = tenant_hint(metadata) or tenant_hint(
        {"tenant_id": session.get("client_reference_id")}
    )
    account = subscription.find_account(tx, tenant_id, customer, sub_id)
    if account is None:
        out.outcome = "unmatched"
        return out
    subscription.link_customer(tx, account, customer, created)
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
    if paid and plan and subscription.apply_state(account, status="active", at=created, plan=plan):
        out.outcome = "applied"
    elif not paid:
        out.outcome = "applied"  # linked the customer; the subscription events carry the state
    out.replay = True  # events that waited for this customer can be applied now
    return _finish(tx, account, out)


def on_subscription(tx, event, sub: dict, created: datetime) -> Outcome:
    """Subscription created/updated/deleted: apply its status, plan and period if newer."""
    sub_id, customer = ref_id(sub.get("id")), ref_id(sub.get("customer"))
    out = Outcome("unmatched", customer=customer, subscription=sub_id)
    account = subscription.find_account(tx, tenant_hint(sub.get("metadata")), customer, sub_id)
    if account is None:
        return out
    subscription.link_customer(tx, account, customer, created)
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
    applied = subscription.apply_state(
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
    """A paid invoice ends delinquency (or an incomplete start): the plan is active."""
    out, account, inv = _invoice_account(tx, invoice, created)
    if account is None or _other_subscription(tx, account, inv, out):
        return out
    metadata, price, sub_id = inv.metadata, inv.price, inv.subscription
    out.outcome = "stale"
    status = account.subscription_status
    if status is None or status in subscription.DELINQUENT_STATUSES or status == "incomplete":
        plan = plan_code(tx, price, metadata.get("plan"), account.subscription_plan)
        if plan and subscription.apply_state(account, status="active", at=created, plan=plan):
            account.stripe_subscription_id = sub_id
            out.outcome = "applied"
    return _finish(tx, account, out)


def on_invoice_failed(tx, event, invoice: dict, created: datetime) -> Outcome:
    """A failed payment makes an active subscription past_due and tells the owner."""
    out, account, inv = _invoice_account(tx, invoice, created)
    if account is None or _other_subscription(tx, account, inv, out):
        return out
    out.outcome = "stale"
    if account.subscription_status in {"active", "trialing"} and subscription.apply_state(
        account, status="past_due", at=created
    ):
        out.outcome = "applied"
    _notify_owner(tx, account, "payment_failed", invoice, event)
    return _finish(tx, account, out)


def on_invoice_action_required(tx, event, invoice: dict, created: datetime) -> Outcome:
    """The owner must confirm a payment (3-D Secure): tell them."""
    out, account, inv = _invoice_account(tx, invoice, created)
    if account is None:
        return out
    _notify_owner(tx, account, "action_required", invoice, event)
    out.outcome = "applied"
    return _finish(tx, account, out)


def _notify_owner(tx, account: BillingAccount, notice: str, invoice: dict, event: dict) -> None:
    subscription.notify_owner(
        tx,
        account.tenant_id,
        notice,
        invoice_id=ref_id(invoice.get("id")) or event["id"],
        amount_due_cents=invoice.get("amount_due"),
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
    )


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "customer.subscription.created": on_subscription,
    "customer.subscription.updated": on_subscription,
    "customer.subscription.deleted": on_subscription,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_failed,
    "invoice.payment_action_required": on_invoice_action_required,
}
