"""The estimator algorithm of SPEC §5.2 as a pure function of a request and a pricing config.

``estimate(request, pricing)`` touches no database and no clock, so the ``/estimate`` endpoint,
leads and bookings all price the same way. Every quantity is a ``Decimal``; hours are never rounded
except where the algorithm says so (time on site up to the step), money only at the discount
(half-up to the cent).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from shared.errors import ValidationFailed

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_ADD_ON_UNITS = 1000
MAX_DURATION_MINUTES = 540
DURATION_CLAMPS = {
    "standard": (60, 270),
    "deep": (90, 360),
    "move_out": (150, 420),
    "move_in": (150, 420),
}


@dataclass(frozen=True)
class EstimateRequest:
    """A validated ``/estimate`` request (the shape check is ``schemas.EstimateRequestSchema``)."""

    beds: int
    baths: Decimal
    service_type: str = "standard"
    heavy_grease: bool = False
    multi_floor: bool = False
    frequency: str = "one_time"
    add_ons: Mapping[str, bool | int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping) -> EstimateRequest:
        return cls(
            beds=data["beds"],
            baths=Decimal(str(data["baths"])),
            service_type=data.get("service_type", "standard"),
            heavy_grease=data.get("heavy_grease", False),
            multi_floor=data.get("multi_floor", False),
            frequency=data.get("frequency", "one_time"),
            add_ons=dict(data.get("add_ons") or {}),
        )


@dataclass(frozen=True)
class PricingSnapshot:
    """One stored pricing config version (``config`` is the validated, normalised document)."""

    id: int
    version: int
    config_hash: str
    config: dict


@dataclass(frozen=True)
class Rules:
    """A config document turned into Decimals and sorted tables, ready for the algorithm."""

    currency: str
    rate: Decimal
    minimum_hours: Decimal
    step: Decimal
    team_thresholds: tuple[tuple[Decimal, int], ...]
    team_otherwise: int
    multipliers: dict[str, Decimal]
    grease_by_beds: tuple[tuple[int, Decimal], ...]
    grease_otherwise: Decimal
    multi_floor: Decimal
    discount_percent: dict[str, Decimal]
    base_hours: tuple[tuple[int, int, Decimal], ...]
    flags: dict[str, Decimal]
    per_unit: dict[str, Decimal]

    @classmethod
    def from_config(cls, cfg: dict) -> Rules:
        return cls(
            currency=cfg["currency"],
            rate=Decimal(cfg["rate"]),
            minimum_hours=Decimal(cfg["minimum_cleaner_hours"]),
            step=Decimal(cfg["time_on_site_step_hours"]),
            team_thresholds=tuple(
                (Decimal(t["max_cleaner_hours"]), t["size"]) for t in cfg["team_size"]["thresholds"]
            ),
            team_otherwise=cfg["team_size"]["otherwise"],
            multipliers={k: Decimal(v) for k, v in cfg["service_multipliers"].items()},
            grease_by_beds=tuple(
                (r["max_beds"], Decimal(r["hours"])) for r in cfg["heavy_grease_hours"]["by_beds"]
            ),
            grease_otherwise=Decimal(cfg["heavy_grease_hours"]["otherwise"]),
            multi_floor=Decimal(cfg["multi_floor_hours"]),
            discount_percent={k: Decimal(v) for k, v in cfg["frequency_discount_percent"].items()},
            base_hours=tuple(
                sorted((r["beds"], r["baths"], Decimal(r["hours"])) for r in cfg["base_hours"])
            ),
            flags={k: Decimal(v) for k, v in cfg["add_ons"]["flags"].items()},
            per_unit={k: Decimal(v) for k, v in cfg["add_ons"]["per_unit"].items()},
        )


_rules_cache: dict[str, Rules] = {}


def rules_for(pricing: PricingSnapshot) -> Rules:
    """The compiled rules of ``pricing``, memoised by its content hash."""
    rules = _rules_cache.get(pricing.config_hash)
    if rules is None:
        if len(_rules_cache) >= 512:
            _rules_cache.clear()
        rules = _rules_cache[pricing.config_hash] = Rules.from_config(pricing.config)
    return rules


@dataclass(frozen=True)
class Estimate:
    pricing: PricingSnapshot
    currency: str
    team_size: int
    cleaner_hours: Decimal
    time_on_site_hours: Decimal
    billed_cleaner_hours: Decimal
    rate: Decimal
    labor: Decimal
    discount: Decimal
    add_ons: Decimal
    total_before_tax: Decimal

    def as_dict(self) -> dict:
        """The ``/estimate`` response: hours as JSON numbers (exact decimal text, unrounded),
        money as two-place decimal strings plus integer ``*_cents``."""
        out = {
            "pricing_config_id": self.pricing.id,
            "pricing_config_version": self.pricing.version,
            "config_hash": self.pricing.config_hash,
            "currency": self.currency,
            "team_size": self.team_size,
            "cleaner_hours": float(self.cleaner_hours),
            "time_on_site_hours": float(self.time_on_site_hours),
            "billed_cleaner_hours": float(self.billed_cleaner_hours),
        }
        for name in ("rate", "labor", "discount", "add_ons", "total_before_tax"):
            amount: Decimal = getattr(self, name)
            out[name] = str(amount.quantize(CENT))
            out[f"{name}_cents"] = int(amount.quantize(CENT) * 100)
        return out


def base_hours_for(rules: Rules, beds: int, baths: int) -> Decimal:
    """The exact (beds, baths) row, else the smallest row (by beds, then baths) covering both,
    else the largest row."""
    for row_beds, row_baths, hours in rules.base_hours:  # sorted by (beds, baths)
        if row_beds >= beds and row_baths >= baths:
            return hours  # the exact row, when present, is the first covering row
    return rules.base_hours[-1][2]


def team_size_for(rules: Rules, cleaner_hours: Decimal) -> int:
    for limit, size in rules.team_thresholds:
        if cleaner_hours <= limit:
            return size
    return rules.team_otherwise


def heavy_grease_hours(rules: Rules, beds: int) -> Decimal:
    for max_beds, hours in rules.grease_by_beds:
        if beds <= max_beds:
            return hours
    return rules.grease_otherwise


def time_on_site(cleaner_hours: Decimal, team: int, step: Decimal) -> Decimal:
    """Cleaner hours per team member rounded **up** to a multiple of ``step``.

    Computed as ``ceil(cleaner_hours / (team × step)) × step`` with ``divmod``, which is exact
    (a plain division like 4.6 / 3 would be rounded to Decimal's precision first).
    """
    steps, remainder = divmod(cleaner_hours, team * step)
    if remainder:
        steps += 1
    return steps * step


def add_ons_total(rules: Rules, add_ons: Mapping[str, bool | int]) -> Decimal:
    """Flags that are true plus count × unit price; raises listing every unknown or mistyped one."""
    errors, total = [], Decimal(0)
    for name, value in add_ons.items():
        path = f"add_ons.{name}"
        if name in rules.flags:
            if not isinstance(value, bool):
                errors.append({"field": path, "message": "This add-on is a flag: true or false."})
            elif value:
                total += rules.flags[name]
        elif name in rules.per_unit:
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append({"field": path, "message": "This add-on takes a whole count."})
            elif not 0 <= value <= MAX_ADD_ON_UNITS:
                errors.append(
                    {"field": path, "message": f"Count must be between 0 and {MAX_ADD_ON_UNITS}."}
                )
            else:
                total += value * rules.per_unit[name]
        else:
            errors.append({"field": path, "message": "Unknown add-on."})
    if errors:
        raise ValidationFailed(errors)
    return total


def estimate(request: EstimateRequest, pricing: PricingSnapshot) -> Estimate:
    """Price ``request`` with ``pricing`` following SPEC §5.2 step by step."""
    rules = rules_for(pricing)
    add_ons = add_ons_total(rules, request.add_ons)  # 9 (checked first: bad input fails early)
    baths = int(request.baths.to_integral_value(rounding=ROUND_CEILING))  # 1
    base = base_hours_for(rules, request.beds, baths)  # 2
    extras = Decimal(0)  # 3: extras are added after the multiplier
    if request.heavy_grease:
        extras += heavy_grease_hours(rules, request.beds)
    if request.multi_floor:
        extras += rules.multi_floor
    cleaner_hours = max(
        base * rules.multipliers[request.service_type] + extras, rules.minimum_hours
    )
    team = team_size_for(rules, cleaner_hours)  # 5
    on_site = time_on_site(cleaner_hours, team, rules.step)  # 6
    billed = team * on_site  # 7
    labor = (billed * rules.rate).quantize(CENT, rounding=ROUND_HALF_UP)  # 8
    discount = (labor * rules.discount_percent[request.frequency] / HUNDRED).quantize(
        CENT, rounding=ROUND_HALF_UP
    )  # 10
    return Estimate(
        pricing=pricing,
        currency=rules.currency,
        team_size=team,
        cleaner_hours=cleaner_hours,
        time_on_site_hours=on_site,
        billed_cleaner_hours=billed,
        rate=rules.rate,
        labor=labor,
        discount=discount,
        add_ons=add_ons,
        total_before_tax=labor - discount + add_ons,  # 11
    )


def duration_minutes(time_on_site_hours: Decimal | float | str, service_type: str) -> int:
    """ceil(time on site × 60 / 30) × 30, clamped by service type, never above 540."""
    hours = Decimal(str(time_on_site_hours))
    minutes = math.ceil(hours * 60 / 30) * 30
    low, high = DURATION_CLAMPS[service_type]
    return min(max(minutes, low), high, MAX_DURATION_MINUTES)
