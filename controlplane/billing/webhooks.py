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
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert

from controlplane.billing.handlers import HANDLERS, Outcome
from controlplane.billing.models import StripeEvent
from shared import db
from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.billing.webhooks")


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
    """Hand ``event`` to its handler, then apply any events that waited for what it linked."""
    handler = HANDLERS.get(event.get("type"))
    obj = (event.get("data") or {}).get("object")
    if handler is None or not isinstance(obj, dict):
        return Outcome("ignored")
    created = datetime.fromtimestamp(int(event.get("created") or 0), UTC)
    out = handler(tx, event, obj, created)
    if out.replay:
        _replay_unmatched(tx, out.customer, out.subscription, out)
    return out


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
