"""Plan catalogue editing by operators (endpoint and ``flask ops plans``)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from shared import db
from shared.errors import Conflict, NotFound
from shared.models.plans import Plan

log = logging.getLogger("cleanplane.billing.plans")
EDITABLE = (
    "name",
    "price_cents",
    "currency",
    "max_workers",
    "bookings_per_month",
    "storage_bytes",
    "sms_segments_per_month",
    "stripe_price_id",
    "active",
    "sort_order",
)


def all_plans() -> list[Plan]:
    """Every plan, active or not, in catalogue order (operators)."""
    return list(db.session().scalars(select(Plan).order_by(Plan.sort_order, Plan.code)))


def update_plan(code: str, changes: dict, *, actor: str, create: bool = False) -> Plan:
    """Apply ``changes`` to plan ``code`` (or create it when ``create``).

    Limits are read from the plan row by ``entitlements.consume`` on every call, so new limits
    apply to every tenant on the plan at once; a tenant's cached row holds only the plan code.
    """
    with db.transaction() as tx:
        plan = tx.get(Plan, code, with_for_update=True)
        if plan is None:
            if not create:
                raise NotFound(f"No plan {code!r}.")
            missing = [f for f in ("name", "price_cents", "max_workers") if f not in changes]
            missing += [f for f in ("bookings_per_month", "storage_bytes") if f not in changes]
            if missing:
                raise Conflict(f"A new plan needs {', '.join(missing)}.")
            defaults = {"active": True, "sort_order": 0, "currency": "usd"}
            plan = Plan(
                code=code, **{**defaults, **{k: changes[k] for k in EDITABLE if k in changes}}
            )
        price_id = changes.get("stripe_price_id")
        if price_id:
            other = tx.scalar(
                select(Plan.code).where(Plan.stripe_price_id == price_id, Plan.code != code)
            )
            if other:
                raise Conflict(f"Stripe price {price_id} already belongs to plan {other}.")
        if code == "free" and (
            (changes.get("price_cents") or 0) > 0 or changes.get("active") is False
        ):
            raise Conflict("Signup starts on free: it stays active and without a price.")
        for key in EDITABLE:
            if key in changes:
                setattr(plan, key, changes[key])
        tx.add(plan)
    log.info("plan %s changed by %s: %s", code, actor, sorted(changes))
    return plan
