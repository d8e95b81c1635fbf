"""What a plan sends: one ``plan_changed`` e-mail per change, listing the next 4 visits.

Queued in the transaction of the change (a rolled-back change sends nothing), with a dedupe key
naming the plan and the change's instant, so a retried job or request sends it once. Each visit's
24-hour reminder is the bookings' own (``tenantapp.bookings.reminders``).
"""

from __future__ import annotations

from datetime import datetime

from tenantapp.customers.models import Customer
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.plans.links import manage_url
from tenantapp.plans.models import ServicePlan

PLAN_CHANGED = EmailKind("plan_changed")
PLAN_CANCEL_REQUESTED = EmailKind("plan_cancel_requested")
EMAILS = (PLAN_CHANGED, PLAN_CANCEL_REQUESTED)
NEXT_VISITS = 4


def plan_changed(tx, plan: ServicePlan, change: str, upcoming: list[dict], now: datetime) -> None:
    """E-mail the customer the plan's change and its next 4 visits (none without an e-mail)."""
    customer = tx.get(Customer, plan.customer_id)
    if customer is None or not customer.email:
        return
    context = {
        "customer_name": customer.name,
        "plan": {
            "id": str(plan.id),
            "frequency": plan.frequency,
            "change": change,
            "visits": [{"starts_at": v["starts_at"].isoformat()} for v in upcoming[:NEXT_VISITS]],
            "manage_url": manage_url(plan.id),
        },
    }
    key = f"plan_changed:{plan.id}:{change}:{now.isoformat()}"
    enqueue_email(tx, PLAN_CHANGED, customer.email, context, key)


def cancel_requested(tx, plan: ServicePlan, to: str, next_visit: dict | None, admin_url: str):
    """E-mail staff (the workspace's contact address) that the customer asks to end the plan;
    once per request (its instant names it)."""
    customer = tx.get(Customer, plan.customer_id)
    context = {
        "customer_name": customer.name if customer else "A customer",
        "plan_id": str(plan.id),
        "frequency": plan.frequency,
        "reason": plan.cancel_request_reason,
        "next_visit": next_visit["starts_at"].isoformat() if next_visit else None,
        "plan_url": admin_url,
    }
    key = f"plan_cancel_requested:{plan.id}:{plan.cancel_requested_at.isoformat()}"
    enqueue_email(tx, PLAN_CANCEL_REQUESTED, to, context, key)
