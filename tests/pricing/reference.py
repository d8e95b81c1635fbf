"""A deliberately independent reference of the SPEC §5.2 algorithm, written with ``Fraction`` and
plain loops, used by the property tests to check the service's ``Decimal`` implementation."""

from __future__ import annotations

import math
from fractions import Fraction


def half_up_cents(amount: Fraction) -> int:
    return math.floor(amount * 100 + Fraction(1, 2))


def reference_estimate(req: dict, cfg: dict) -> dict:
    beds = req["beds"]
    baths = math.ceil(Fraction(str(req["baths"])))
    rows = [(r["beds"], r["baths"], Fraction(r["hours"])) for r in cfg["base_hours"]]
    exact = [h for b, ba, h in rows if b == beds and ba == baths]
    covering = sorted((b, ba, h) for b, ba, h in rows if b >= beds and ba >= baths)
    if exact:
        base = exact[0]
    elif covering:
        base = covering[0][2]
    else:
        base = max(rows)[2]
    extras = Fraction(0)
    if req.get("heavy_grease"):
        grease = cfg["heavy_grease_hours"]
        extras += next(
            (Fraction(r["hours"]) for r in grease["by_beds"] if beds <= r["max_beds"]),
            Fraction(grease["otherwise"]),
        )
    if req.get("multi_floor"):
        extras += Fraction(cfg["multi_floor_hours"])
    multiplier = Fraction(cfg["service_multipliers"][req.get("service_type", "standard")])
    hours = max(base * multiplier + extras, Fraction(cfg["minimum_cleaner_hours"]))
    team = cfg["team_size"]["otherwise"]
    for t in cfg["team_size"]["thresholds"]:
        if hours <= Fraction(t["max_cleaner_hours"]):
            team = t["size"]
            break
    step = Fraction(cfg["time_on_site_step_hours"])
    on_site = math.ceil(hours / team / step) * step
    billed = team * on_site
    labor_cents = half_up_cents(billed * Fraction(cfg["rate"]))
    percent = Fraction(cfg["frequency_discount_percent"][req.get("frequency", "one_time")])
    discount_cents = half_up_cents(Fraction(labor_cents, 100) * percent / 100)
    add_ons = Fraction(0)
    for name, value in req.get("add_ons", {}).items():
        if name in cfg["add_ons"]["flags"]:
            add_ons += Fraction(cfg["add_ons"]["flags"][name]) if value else 0
        else:
            add_ons += value * Fraction(cfg["add_ons"]["per_unit"][name])
    add_ons_cents = int(add_ons * 100)
    return {
        "team_size": team,
        "cleaner_hours": hours,
        "time_on_site_hours": on_site,
        "billed_cleaner_hours": billed,
        "rate_cents": int(Fraction(cfg["rate"]) * 100),
        "labor_cents": labor_cents,
        "discount_cents": discount_cents,
        "add_ons_cents": add_ons_cents,
        "total_before_tax_cents": labor_cents - discount_cents + add_ons_cents,
    }


def assert_matches_reference(out: dict, expected: dict) -> None:
    """``out`` is an ``/estimate`` response body (or ``Estimate.as_dict()``)."""
    for key in ("cleaner_hours", "time_on_site_hours", "billed_cleaner_hours"):
        # repr(float) is the shortest text that round-trips: it must be the exact decimal.
        assert Fraction(repr(out[key])) == expected[key], (key, out[key], expected[key])
    for key, value in expected.items():
        if key.endswith("_cents") or key == "team_size":
            assert out[key] == value, (key, out[key], value)
    for name in ("rate", "labor", "discount", "add_ons", "total_before_tax"):
        cents = out[f"{name}_cents"]
        assert out[name] == f"{cents // 100}.{cents % 100:02d}", (name, out[name], cents)
