"""What the Plan and billing page shows, from the control plane's billing status."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shared import billing_bridge, db
from shared.models.accounts import User
from shared.models.plans import Plan
from shared.runtime import current_runtime
from shared.tenancy import TenantRef

# The limits SPEC §4.5 names, in its order; API requests are metered but not limited.
METRICS = ("bookings_created", "active_workers", "storage_bytes", "sms_segments")
WARN_PERCENT = 80
# Stripe's subscription states the page names; any other shows as "other" (never a 500).
SUB_STATES = {"active", "trialing", "past_due", "unpaid", "canceled", "incomplete"}
SUB_STATES |= {"incomplete_expired", "paused"}
MIB = 1024 * 1024


def _amount(value: int, metric: str) -> str:
    if metric != "storage_bytes":
        return f"{value:,}"
    if value >= 1024 * MIB:
        return f"{value / (1024 * MIB):.1f} GB"
    return f"{value / MIB:.1f} MB"


def usage_bars(status: dict) -> list[dict]:
    """One bar per limited metric: used, limit (None: unlimited), percent, level, drift."""
    bars = []
    for metric in METRICS:
        limit = status["limits"].get(metric)
        used = int(status["usage"].get(metric, 0))
        percent = min(100, used * 100 // limit) if limit else 0
        level = "full" if limit and used >= limit else "warn" if percent >= WARN_PERCENT else "ok"
        bars.append(
            {
                "metric": metric,
                "used": used,
                "used_text": _amount(used, metric),
                "limit": limit,
                "limit_text": _amount(limit, metric) if limit else None,
                "percent": percent,
                "level": level,
                "drift": int(status["drift"].get(metric, 0)),
            }
        )
    return bars


def upgrades(current: str) -> list[Plan]:
    """Active paid plans above the current one (by catalogue order and price)."""
    plans = list(
        db.session().scalars(
            select(Plan).where(Plan.active.is_(True)).order_by(Plan.sort_order, Plan.price_cents)
        )
    )
    mine = next((p for p in plans if p.code == current), None)
    floor = mine.price_cents if mine else 0
    return [p for p in plans if p.price_cents > floor]


def billing_page(tenant: TenantRef) -> dict:
    status = billing_bridge.status(tenant)
    sub = status["subscription_status"]
    grace_ends = None
    if sub == "past_due" and status["delinquent_since"]:
        days = current_runtime().settings.billing_grace_days
        grace_ends = status["delinquent_since"] + timedelta(days=days)
    return {
        "billing": status,
        "sub_state": (sub if sub in SUB_STATES else "other") if sub else "none",
        "bars": usage_bars(status),
        "upgrades": upgrades(status["plan"]),
        "past_due": sub == "past_due" or status["status"] == "suspended",
        "grace_ends": grace_ends,
        "drifting": any(b["drift"] for b in usage_bars(status)),
        "can_manage": status["has_customer"],
    }


def email_unverified(user_id: str) -> bool:
    """Whether the signed-in person still has to confirm their e-mail (the console's banner)."""
    verified = db.session().scalar(select(User.email_verified_at).where(User.id == user_id))
    return verified is None
