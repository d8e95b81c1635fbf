"""The JSON Schema of the pricing config, published in the tenant OpenAPI document
(``PUT /admin/pricing``'s ``config``, ``GET /admin/pricing``'s answer).

Built from the same constants as ``tenantapp.pricing.config.validate_config``, so the document
states what the validator checks. What a JSON Schema cannot say is left to the validator and
listed in the description: thresholds that must rise, unique ``base_hours`` rows, add-on names
not used twice, add-on name patterns (OpenAPI 3.0 has no ``propertyNames``), the places of a
decimal string.
"""

from __future__ import annotations

from typing import Any

from tenantapp.pricing.config import (
    ADD_ON_NAME,
    CURRENCY,
    FREQUENCIES,
    HOURS,
    MAX_BATHS,
    MAX_BEDS,
    MONEY,
    SERVICE_TYPES,
)


def _decimal(low, high, places: int, *, exclusive_low: bool = False) -> dict[str, Any]:
    """A JSON number or a decimal string (``"35.00"``) within [low, high] (OpenAPI 3.0 spells an
    open bound as ``exclusiveMinimum: true``)."""
    number: dict[str, Any] = {
        "type": "number",
        "minimum": float(low),
        "maximum": float(high),
        "multipleOf": 10.0**-places,
    }
    if exclusive_low:
        number["exclusiveMinimum"] = True
    text = {"type": "string", "pattern": _decimal_pattern(high, places, exclusive_low)}
    return {"anyOf": [number, text]}


def _decimal_pattern(high, places: int, positive: bool) -> str:
    """Decimal text from 0 (``positive``: above 0) to ``high`` (a power of ten) with at most
    ``places`` significant places (trailing zeros allowed): a narrower ``DECIMAL_TEXT``."""
    digits = len(str(int(high)))
    not_zero = r"(?!0*(\.0*)?$)" if positive else ""
    fraction = rf"(\.[0-9]{{1,{places}}}0{{0,{6 - places}}})?"  # DECIMAL_TEXT: 6 places at most
    return rf"^{not_zero}(?:[0-9]{{1,{digits - 1}}}{fraction}|{int(high)}(\.0{{1,6}})?)$"


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """Exactly these keys (the validator reports unknown and missing ones alike)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _integer(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


_HOURS = _decimal(HOURS["low"], HOURS["high"], HOURS["places"])
_POSITIVE_HOURS = _decimal(HOURS["low"], HOURS["high"], HOURS["places"], exclusive_low=True)
_MONEY = _decimal(MONEY["low"], MONEY["high"], MONEY["places"])
_PRICES = {  # add-on name → price (OpenAPI 3.0 has no propertyNames: names in the description)
    "type": "object",
    "maxProperties": 50,
    "additionalProperties": _MONEY,
}

PRICING_CONFIG_SCHEMA: dict[str, Any] = {
    **_object(
        {
            "currency": {"type": "string", "pattern": CURRENCY.pattern},
            "rate": _MONEY,
            "minimum_cleaner_hours": _HOURS,
            "time_on_site_step_hours": _POSITIVE_HOURS,
            "team_size": _object(
                {
                    "thresholds": {
                        "type": "array",
                        "maxItems": 10,
                        "items": _object(
                            {"max_cleaner_hours": _POSITIVE_HOURS, "size": _integer(1, 20)}
                        ),
                    },
                    "otherwise": _integer(1, 20),
                }
            ),
            "service_multipliers": _object(
                {k: _decimal(0, 10, 3, exclusive_low=True) for k in SERVICE_TYPES}
            ),
            "heavy_grease_hours": _object(
                {
                    "by_beds": {
                        "type": "array",
                        "maxItems": MAX_BEDS + 1,
                        "items": _object({"max_beds": _integer(0, MAX_BEDS), "hours": _HOURS}),
                    },
                    "otherwise": _HOURS,
                }
            ),
            "multi_floor_hours": _HOURS,
            "frequency_discount_percent": _object({k: _decimal(0, 100, 2) for k in FREQUENCIES}),
            "base_hours": {
                "type": "array",
                "minItems": 1,
                "maxItems": (MAX_BEDS + 1) * (MAX_BATHS + 1),
                "items": _object(
                    {
                        "beds": _integer(0, MAX_BEDS),
                        "baths": _integer(0, MAX_BATHS),
                        "hours": _POSITIVE_HOURS,
                    }
                ),
            },
            "add_ons": _object({"flags": _PRICES, "per_unit": _PRICES}),
        }
    ),
    "description": "A complete pricing config. Decimals are JSON numbers or decimal strings; "
    "answers give them as strings. Also checked beyond this schema (422 on the field): "
    "team_size thresholds and heavy_grease_hours.by_beds rise row by row and otherwise exceeds "
    "the last size; base_hours has one row per (beds, baths); add-on names match "
    f"{ADD_ON_NAME.pattern} and are a flag or per-unit, not both; a decimal string has at most "
    "2 places for money, hours and percentages, 3 for multipliers.",
}
