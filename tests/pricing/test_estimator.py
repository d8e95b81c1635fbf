"""The pure estimator: every step and boundary of SPEC §5.2, against the default config unless a
test needs a config of its own."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from shared.errors import ValidationFailed
from tenantapp.pricing.config import DEFAULT_CONFIG, config_hash, validate_config
from tenantapp.pricing.estimator import EstimateRequest, PricingSnapshot, estimate


def snapshot(config: dict | None = None) -> PricingSnapshot:
    cfg = validate_config(config or DEFAULT_CONFIG)
    return PricingSnapshot(id=7, version=3, config_hash=config_hash(cfg), config=cfg)


def price(config: dict | None = None, **request):
    return estimate(EstimateRequest.from_dict(request), snapshot(config))


def config_with(**changes) -> dict:
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg.update(changes)
    return cfg


def only_row(hours: str) -> dict:
    """A config whose every request uses one base row of ``hours`` (standard, multiplier 1.0)."""
    return config_with(base_hours=[{"beds": 10, "baths": 10, "hours": hours}])


# -- the worked examples ---------------------------------------------------------------------


def test_worked_example_two_one_standard():
    e = price(beds=2, baths=1)
    assert (e.team_size, e.cleaner_hours, e.time_on_site_hours) == (1, Decimal("3.0"), 3)
    assert e.total_before_tax == Decimal("105.00")
    assert price(beds=2, baths=1, frequency="weekly").total_before_tax == Decimal("94.50")


def test_worked_example_deep_heavy_grease_extras_not_multiplied():
    e = price(beds=2, baths=1, service_type="deep", heavy_grease=True)
    assert e.cleaner_hours == Decimal("4.1")  # 3.0 × 1.2 + 0.5, not (3.0 + 0.5) × 1.2
    assert e.time_on_site_hours == Decimal("4.5")
    assert e.total_before_tax == Decimal("157.50")


def test_worked_example_six_four_move_out():
    e = price(beds=6, baths=4, service_type="move_out")
    assert e.cleaner_hours == Decimal("8.775")
    assert e.team_size == 3
    assert e.time_on_site_hours == Decimal("3.0")
    assert e.billed_cleaner_hours == Decimal("9.0")
    assert e.total_before_tax == Decimal("315.00")


def test_worked_example_biweekly_discount_half_up():
    e = price(beds=2, baths=2, frequency="biweekly")
    assert e.labor == Decimal("122.50")
    assert e.discount == Decimal("6.13")  # 6.125 half-up (banker's rounding would give 6.12)


# -- step 1 and 2: baths and the base row ----------------------------------------------------


@pytest.mark.parametrize(
    ("beds", "baths", "hours"),
    [
        (3, 1, "4.0"),  # no (3,1): smallest covering row is (3,2)
        (2, 1.5, "3.5"),  # baths round up to 2 → exact (2,2)
        (2, 0.5, "3.0"),  # → (2,1)
        (2, 0, "3.0"),  # (2,0) is covered by (2,1)
        (0, 0, "3.0"),  # (1,1) 2.5, lifted to the minimum
        (2, 3, "4.5"),  # smallest row with beds ≥ 2 and baths ≥ 3 is (3,3)
        (4, 4, "6.5"),  # only (6,4) covers
        (5, 1, "5.5"),  # (5,3)
        (4, 2.5, "5.0"),  # baths 3 → exact (4,3)
        (6, 4, "6.5"),
    ],
)
def test_base_row_lookup(beds, baths, hours):
    assert price(beds=beds, baths=baths).cleaner_hours == Decimal(hours)


@pytest.mark.parametrize(("beds", "baths"), [(10, 1), (7, 0), (1, 5), (10, 10), (6, 4.5)])
def test_no_covering_row_falls_back_to_the_largest_row(beds, baths):
    assert price(beds=beds, baths=baths).cleaner_hours == Decimal("6.5")


def test_largest_row_is_by_beds_then_baths_not_by_hours():
    cfg = config_with(
        base_hours=[
            {"beds": 2, "baths": 5, "hours": "9.0"},
            {"beds": 3, "baths": 1, "hours": "4.0"},
        ]
    )
    assert price(cfg, beds=4, baths=1).cleaner_hours == Decimal("4.0")


def test_smallest_covering_row_is_ordered_by_beds_before_baths():
    cfg = config_with(
        base_hours=[
            {"beds": 3, "baths": 3, "hours": "5.0"},
            {"beds": 4, "baths": 2, "hours": "6.0"},
            {"beds": 2, "baths": 1, "hours": "3.0"},
        ]
    )
    assert price(cfg, beds=3, baths=2).cleaner_hours == Decimal("5.0")


# -- step 3 and 4: extras, multiplier, minimum -----------------------------------------------


@pytest.mark.parametrize(
    ("beds", "extra"),
    [(0, "0.5"), (2, "0.5"), (3, "1.0"), (4, "1.0"), (5, "1.5"), (10, "1.5")],
)
def test_heavy_grease_extra_by_beds(beds, extra):
    cfg = only_row("5.0")
    plain = price(cfg, beds=beds, baths=1).cleaner_hours
    assert price(cfg, beds=beds, baths=1, heavy_grease=True).cleaner_hours - plain == Decimal(extra)


def test_multi_floor_adds_half_an_hour_unmultiplied():
    e = price(beds=3, baths=2, service_type="move_in", multi_floor=True)
    assert e.cleaner_hours == Decimal("5.9")  # 4.0 × 1.35 + 0.5


@pytest.mark.parametrize(
    ("service_type", "hours"),
    [("standard", "4.0"), ("deep", "4.8"), ("move_out", "5.4"), ("move_in", "5.4")],
)
def test_service_multipliers(service_type, hours):
    assert price(beds=3, baths=2, service_type=service_type).cleaner_hours == Decimal(hours)


@pytest.mark.parametrize(
    ("base", "hours"), [("2.5", "3.0"), ("2.99", "3.0"), ("3.0", "3.0"), ("3.01", "3.01")]
)
def test_minimum_cleaner_hours(base, hours):
    assert price(only_row(base), beds=1, baths=1).cleaner_hours == Decimal(hours)


def test_minimum_applies_after_extras():
    e = price(beds=1, baths=1, multi_floor=True)  # 2.5 + 0.5 = 3.0, not max(2.5, 3.0) + 0.5
    assert e.cleaner_hours == Decimal("3.0")


# -- step 5 to 8: team, time on site, billed, labour ------------------------------------------


@pytest.mark.parametrize(
    ("base", "team", "on_site", "billed"),
    [
        ("4.5", 1, "4.5", "4.5"),  # exactly at the first threshold
        ("4.51", 2, "2.5", "5.0"),  # just above
        ("8.0", 2, "4.0", "8.0"),  # exactly at the second threshold
        ("8.01", 3, "3.0", "9.0"),  # just above
        ("9.0", 3, "3.0", "9.0"),
        ("9.01", 3, "3.5", "10.5"),  # 3.0033 rounds up to 3.5
    ],
)
def test_team_thresholds_and_time_on_site(base, team, on_site, billed):
    e = price(only_row(base), beds=1, baths=1)
    assert e.team_size == team
    assert e.time_on_site_hours == Decimal(on_site)
    assert e.billed_cleaner_hours == Decimal(billed)
    assert e.labor == Decimal(billed) * 35


def test_team_thresholds_with_the_default_table():
    assert price(beds=3, baths=3).team_size == 1  # 4.5 exactly
    assert (
        price(beds=2, baths=1, service_type="deep", heavy_grease=True, multi_floor=True).team_size
        == 2
    )
    exactly_eight = price(beds=6, baths=4, heavy_grease=True)  # 6.5 + 1.5
    assert (exactly_eight.cleaner_hours, exactly_eight.team_size) == (Decimal("8.0"), 2)
    above = price(beds=6, baths=4, heavy_grease=True, multi_floor=True)  # 8.5
    assert (above.team_size, above.time_on_site_hours, above.billed_cleaner_hours) == (
        3,
        Decimal("3.0"),
        Decimal("9.0"),
    )


@pytest.mark.parametrize(
    ("base", "on_site"),
    [("3.0", "3.0"), ("3.01", "3.5"), ("3.5", "3.5"), ("3.51", "4.0"), ("4.1", "4.5")],
)
def test_time_on_site_rounds_up_to_half_hours(base, on_site):
    assert price(only_row(base), beds=1, baths=1).time_on_site_hours == Decimal(on_site)


def test_time_on_site_is_per_team_member():
    e = price(only_row("4.6"), beds=1, baths=1)  # team 2: 2.3 → 2.5
    assert (e.team_size, e.time_on_site_hours, e.billed_cleaner_hours) == (2, 2.5, 5)


def test_configured_step_and_rate():
    cfg = config_with(time_on_site_step_hours="0.25", rate="40.10")
    e = price(cfg, beds=2, baths=1, service_type="deep")  # 3.6 → 3.75
    assert e.time_on_site_hours == Decimal("3.75")
    assert e.labor == Decimal("150.38")  # 150.375 half-up


# -- step 9 to 11: add-ons, discount, total ---------------------------------------------------

FLAGS = DEFAULT_CONFIG["add_ons"]["flags"]
PER_UNIT = DEFAULT_CONFIG["add_ons"]["per_unit"]


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_each_flag_add_on(name):
    assert price(beds=2, baths=1, add_ons={name: True}).add_ons == Decimal(FLAGS[name])
    assert price(beds=2, baths=1, add_ons={name: False}).add_ons == 0


@pytest.mark.parametrize("name", sorted(PER_UNIT))
def test_each_per_unit_add_on(name):
    assert price(beds=2, baths=1, add_ons={name: 3}).add_ons == 3 * Decimal(PER_UNIT[name])
    assert price(beds=2, baths=1, add_ons={name: 0}).add_ons == 0


def test_add_ons_are_never_discounted():
    e = price(beds=2, baths=1, frequency="weekly", add_ons={"oven": True, "carpet_spot": 2})
    assert (e.labor, e.discount, e.add_ons) == (105, Decimal("10.50"), 100)
    assert e.total_before_tax == Decimal("194.50")


@pytest.mark.parametrize(
    ("frequency", "discount"),
    [("one_time", "0.00"), ("weekly", "12.25"), ("biweekly", "6.13"), ("monthly", "0.00")],
)
def test_frequency_discounts(frequency, discount):
    assert price(beds=2, baths=2, frequency=frequency).discount == Decimal(discount)


def test_discount_rounds_half_up_and_down_to_the_cent():
    cfg = config_with(
        frequency_discount_percent={"one_time": "0", "weekly": "3", "biweekly": "7", "monthly": "1"}
    )
    assert price(cfg, beds=2, baths=2, frequency="weekly").discount == Decimal("3.68")  # 3.675
    assert price(cfg, beds=2, baths=2, frequency="biweekly").discount == Decimal("8.58")  # 8.575
    assert price(cfg, beds=2, baths=2, frequency="monthly").discount == Decimal("1.23")  # 1.225
    assert price(cfg, beds=2, baths=1, frequency="weekly").discount == Decimal("3.15")  # 3.15


@pytest.mark.parametrize(
    ("add_ons", "field"),
    [
        ({"jacuzzi": True}, "add_ons.jacuzzi"),
        ({"oven": 1}, "add_ons.oven"),
        ({"linen_beds": True}, "add_ons.linen_beds"),
        ({"linen_beds": 1001}, "add_ons.linen_beds"),
    ],
)
def test_add_on_problems_raise_validation_failed(add_ons, field):
    with pytest.raises(ValidationFailed) as err:
        price(beds=2, baths=1, add_ons=add_ons)
    assert [e["field"] for e in err.value.extra["errors"]] == [field]


def test_upper_count_boundary_is_accepted():
    assert price(beds=2, baths=1, add_ons={"linen_beds": 1000}).add_ons == Decimal("10000.00")


def test_money_output_has_two_places_and_cents():
    out = price(beds=2, baths=1, add_ons={"oven": True}).as_dict()
    assert out["pricing_config_id"] == 7 and out["pricing_config_version"] == 3
    assert (out["add_ons"], out["add_ons_cents"]) == ("30.00", 3000)
    assert (out["total_before_tax"], out["total_before_tax_cents"]) == ("135.00", 13500)
    assert (out["discount"], out["discount_cents"]) == ("0.00", 0)
