"""The pricing config's published JSON Schema states what ``validate_config`` checks: both accept
the default and both refuse each value just past a bound."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from shared.errors import ValidationFailed
from tenantapp.pricing.config import DEFAULT_CONFIG, validate_config
from tenantapp.pricing.config_schema import PRICING_CONFIG_SCHEMA
from tests.pricing.test_config import changed

# OpenAPI 3.0 schema objects follow draft 4 (exclusiveMinimum is a boolean there).
SCHEMA = jsonschema.Draft4Validator(PRICING_CONFIG_SCHEMA)


def _validator_accepts(cfg) -> bool:
    try:
        validate_config(cfg)
    except ValidationFailed:
        return False
    return True


def test_default_config_and_its_json_number_form_match_the_schema():
    assert SCHEMA.is_valid(DEFAULT_CONFIG)
    numbers = copy.deepcopy(DEFAULT_CONFIG)
    numbers["rate"], numbers["minimum_cleaner_hours"] = 35, 3.0
    numbers["service_multipliers"]["deep"] = 1.2
    assert SCHEMA.is_valid(numbers) and _validator_accepts(numbers)


@pytest.mark.parametrize(
    ("path", "value", "accepted"),
    [
        ("rate", "100000.00", True),
        ("rate", "100000.01", False),
        ("rate", 100000, True),
        ("rate", 100000.01, False),
        ("rate", "35.001", False),
        ("rate", "35.0010", False),
        ("rate", "35.100", True),
        ("rate", -1, False),
        ("currency", "cad", False),
        ("time_on_site_step_hours", "0", False),
        ("time_on_site_step_hours", "0.01", True),
        ("minimum_cleaner_hours", "100", True),
        ("minimum_cleaner_hours", "100.5", False),
        ("service_multipliers.deep", "10", True),
        ("service_multipliers.deep", "10.001", False),
        ("service_multipliers.deep", "1.235", True),
        ("service_multipliers.deep", 0, False),
        ("frequency_discount_percent.weekly", "100.00", True),
        ("frequency_discount_percent.weekly", "100.01", False),
        ("team_size.otherwise", 21, False),
        ("base_hours.0.beds", 11, False),
        ("base_hours.0.extra", 1, False),
        ("add_ons.flags.oven", "0", True),
        ("add_ons.per_unit", {}, True),
    ],
)
def test_schema_and_validator_agree_at_each_bound(path, value, accepted):
    cfg = changed(path, value)
    assert SCHEMA.is_valid(cfg) is accepted
    assert _validator_accepts(cfg) is accepted


def test_missing_and_unknown_keys_are_refused_by_both():
    missing = copy.deepcopy(DEFAULT_CONFIG)
    del missing["add_ons"]["flags"]
    unknown = {**DEFAULT_CONFIG, "tax": "5.0"}
    for cfg in (missing, unknown):
        assert not SCHEMA.is_valid(cfg) and not _validator_accepts(cfg)


def test_the_tenant_document_publishes_it_on_put_and_get(client, tenant):
    doc = client.get(tenant.url("/openapi.json")).get_json()
    schemas = doc["components"]["schemas"]
    for name in ("PricingPut", "PricingOut"):
        config = schemas[name]["properties"]["config"]
        assert config["properties"].keys() == DEFAULT_CONFIG.keys()
        assert config["additionalProperties"] is False
