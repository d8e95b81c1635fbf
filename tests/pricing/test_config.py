"""Pricing config validation and normalisation (pure)."""

from __future__ import annotations

import copy
import hashlib

import pytest

from shared.errors import ValidationFailed
from tenantapp.pricing.config import DEFAULT_CONFIG, canonical_json, config_hash, validate_config


def problems(cfg) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as err:
        validate_config(cfg)
    return {e["field"]: e["message"] for e in err.value.extra["errors"]}


def changed(path: str, value) -> dict:
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return cfg


def test_default_config_is_already_normalised():
    assert validate_config(DEFAULT_CONFIG) == DEFAULT_CONFIG


def test_numbers_are_normalised_to_decimal_strings():
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg["rate"] = 35
    cfg["minimum_cleaner_hours"] = 3
    cfg["service_multipliers"]["deep"] = 1.20
    cfg["frequency_discount_percent"]["weekly"] = 10
    cfg["add_ons"]["flags"]["oven"] = 30.5
    cfg["base_hours"] = list(reversed(cfg["base_hours"]))
    out = validate_config(cfg)
    assert out == validate_config(DEFAULT_CONFIG) | {"add_ons": out["add_ons"]}
    assert out["add_ons"]["flags"]["oven"] == "30.50"
    assert config_hash(out) != config_hash(DEFAULT_CONFIG)


def test_hash_is_sha256_of_sorted_compact_json():
    text = canonical_json(DEFAULT_CONFIG)
    assert ", " not in text and ": " not in text and text.startswith('{"add_ons":{"flags":')
    assert config_hash(DEFAULT_CONFIG) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("path", "value", "ok"),
    [
        ("rate", "0", True),
        ("rate", "0.01", True),
        ("rate", "100000.00", True),
        ("rate", "100000.01", False),
        ("rate", "35.001", False),
        ("rate", "35.000", True),
        ("rate", "-1", False),
        ("rate", "abc", False),
        ("rate", None, False),
        ("service_multipliers.deep", "0", False),
        ("service_multipliers.deep", "0.001", True),
        ("service_multipliers.deep", "10", True),
        ("service_multipliers.deep", "10.001", False),
        ("service_multipliers.deep", "1.2345", False),
        ("time_on_site_step_hours", "0", False),
        ("time_on_site_step_hours", "0.01", True),
        ("minimum_cleaner_hours", "0", True),
        ("minimum_cleaner_hours", "100.01", False),
        ("frequency_discount_percent.weekly", "100", True),
        ("frequency_discount_percent.weekly", "100.01", False),
        ("base_hours.0.hours", "0", False),
        ("base_hours.0.hours", "0.01", True),
        ("base_hours.0.beds", 10, True),
        ("base_hours.0.beds", 11, False),
        ("base_hours.0.baths", 1.5, False),
        ("base_hours.0.beds", True, False),
        ("team_size.otherwise", 2, False),
        ("team_size.otherwise", 21, False),
        ("heavy_grease_hours.by_beds.0.max_beds", 4, False),
        ("currency", "EUR", True),
        ("currency", "EURO", False),
    ],
)
def test_value_boundaries(path, value, ok):
    cfg = changed(path, value)
    if ok:
        validate_config(cfg)
    else:
        assert problems(cfg)


def test_a_non_object_config_is_one_problem():
    assert problems(["rate"]) == {"config": "Must be an object."}


def test_empty_config_lists_every_missing_key():
    assert set(problems({})) == {f"config.{key}" for key in DEFAULT_CONFIG}


def test_thresholds_must_rise_in_hours_and_size():
    cfg = changed("team_size.thresholds.1", {"max_cleaner_hours": "8.0", "size": 1})
    assert "config.team_size.thresholds.1" in problems(cfg)


def test_add_on_names_and_kinds():
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    cfg["add_ons"]["flags"]["9lives"] = "1.00"
    cfg["add_ons"]["per_unit"]["oven"] = "1.00"
    cfg["add_ons"]["per_unit"]["x" * 41] = "1.00"
    assert set(problems(cfg)) == {
        "config.add_ons.flags.9lives",
        "config.add_ons.per_unit.oven",
        "config.add_ons.per_unit." + "x" * 41,
    }
