"""Pure booking rules (SPEC §5.4): duration, risk score, deposit decision, cancellation refund.

Nothing here reads the database: callers pass the facts, so every boundary is tested directly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

HEAVY_SERVICES = frozenset({"deep", "move_out", "move_in"})
DEFAULT_DEPOSIT_POLICY = {
    "base_percent": 25,
    "heavy_service_percent": 35,
    "notice_24h_percent": 50,
    "notice_48h_percent": 40,
    "high_value_percent": 30,
    "high_value_cents": 30_000,
    "min_cents": 5_000,
    "max_cents": 20_000,
}
RISK_HIGH, RISK_MEDIUM = 75, 45


@dataclass(frozen=True)
class RiskFacts:
    first_time: bool
    total_cents: int
    hours_until_start: float
    postal_code: str | None
    flagged_prefixes: tuple[str, ...]
    earlier_cancellations: int  # by the customer or staff; automatic expiries excluded


@dataclass
class Risk:
    score: int
    band: str
    reasons: list[str] = field(default_factory=list)


def postal_prefix(postal_code: str | None) -> str:
    return "".join((postal_code or "").split()).upper()[:3]


def assess_risk(f: RiskFacts) -> Risk:
    score, reasons = 0, []
    if f.first_time:
        score, reasons = score + 20, [*reasons, "new_customer"]
    if f.total_cents >= 30_000:
        score, reasons = score + 25, [*reasons, "high_value"]
    if f.hours_until_start < 24:
        score, reasons = score + 20, [*reasons, "short_notice"]
    prefix = postal_prefix(f.postal_code)
    flagged = {postal_prefix(p) for p in f.flagged_prefixes}
    if prefix and prefix in flagged:
        score, reasons = score + 15, [*reasons, "flagged_area"]
    if f.earlier_cancellations >= 1:
        score, reasons = score + 45, [*reasons, "earlier_cancellation"]
    if f.earlier_cancellations > 1:
        score, reasons = score + 10, [*reasons, "repeated_cancellations"]
    score = min(score, 100)
    band = "HIGH" if score >= RISK_HIGH else "MEDIUM" if score >= RISK_MEDIUM else "LOW"
    return Risk(score, band, reasons)


@dataclass
class DepositDecision:
    required: bool
    amount_cents: int
    percent: int
    reasons: list[str]

    def as_dict(self) -> dict:
        return asdict(self)


def decide_deposit(
    *,
    first_time: bool,
    service_type: str,
    hours_until_start: float,
    total_cents: int,
    risk_band: str,
    policy: dict | None = None,
) -> DepositDecision:
    """Reasons, percent = max of the applicable rates, amount = ceil(total × percent) clamped."""
    p = {**DEFAULT_DEPOSIT_POLICY, **(policy or {})}
    reasons, rates = [], [p["base_percent"]]
    if first_time:
        reasons.append("first_time_client")
    if service_type in HEAVY_SERVICES:
        reasons.append(f"service_type_{service_type}")
        rates.append(p["heavy_service_percent"])
    if hours_until_start < 24:
        reasons.append("notice_lt_24h")
        rates.append(p["notice_24h_percent"])
    elif hours_until_start < 48:
        reasons.append("notice_lt_48h")
        rates.append(p["notice_48h_percent"])
    if total_cents >= p["high_value_cents"]:
        reasons.append("high_value")
        rates.append(p["high_value_percent"])
    if risk_band in ("MEDIUM", "HIGH"):
        reasons.append(f"risk_{risk_band.lower()}")
    if not reasons:
        return DepositDecision(False, 0, 0, [])
    percent = max(rates)
    amount = math.ceil(total_cents * percent / 100)
    amount = min(max(amount, p["min_cents"]), p["max_cents"])
    return DepositDecision(True, amount, percent, reasons)


def cancellation_windows(service_type: str) -> dict:
    """Hours before start: free at or beyond ``free_hours``, 50 % from ``partial_hours``."""
    if service_type in HEAVY_SERVICES:
        return {"free_hours": 72, "partial_hours": 48, "partial_refund_percent": 50}
    return {"free_hours": 48, "partial_hours": 24, "partial_refund_percent": 50}


def refund_for(snapshot: dict, paid_cents: int, starts_at: datetime, now: datetime) -> int:
    """What a cancellation at ``now`` refunds of ``paid_cents`` under the booking's snapshot."""
    windows = snapshot["cancellation"]
    left = starts_at - now
    if left >= timedelta(hours=windows["free_hours"]):
        return paid_cents
    if left >= timedelta(hours=windows["partial_hours"]):
        return paid_cents * windows["partial_refund_percent"] // 100
    return 0


def may_reschedule(snapshot: dict, starts_at: datetime, now: datetime) -> bool:
    """Customers reschedule themselves while they could still cancel for free."""
    return starts_at - now >= timedelta(hours=snapshot["cancellation"]["free_hours"])
