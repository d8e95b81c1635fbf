"""Request and response shapes of the estimator and the pricing admin endpoints.

Marshmallow's default ``unknown=RAISE`` refuses unknown keys at the top level; add-on names are
checked against the tenant's own config by the estimator (``add_ons.<name>`` errors).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate

from tenantapp.pricing.config import FREQUENCIES, MAX_BATHS, MAX_BEDS, SERVICE_TYPES
from tenantapp.pricing.config_schema import PRICING_CONFIG_SCHEMA

HALF = Decimal("0.5")


class StrictBoolean(fields.Boolean):
    """Only JSON ``true``/``false`` (marshmallow's Boolean also takes "yes", 1, "on"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Baths(fields.Field):
    """A JSON number from 0 to 10 in steps of 0.5 (2.25 and 10.5 are refused)."""

    default_error_messages = {
        "invalid": "Must be a number.",
        "step": f"Must be between 0 and {MAX_BATHS} in steps of 0.5.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        try:
            baths = Decimal(str(value))
        except InvalidOperation as exc:  # NaN/inf cannot come from JSON, but be safe
            raise self.make_error("invalid") from exc
        if not baths.is_finite() or not 0 <= baths <= MAX_BATHS or baths % HALF != 0:
            raise self.make_error("step")
        return baths

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(value)


class AddOns(fields.Dict):
    """``{name: true|false}`` for flag add-ons, ``{name: count}`` for per-unit ones."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        errors = {}
        for name, item in out.items():
            if not (isinstance(item, bool) or (isinstance(item, int) and item >= 0)):
                errors[name] = ["Must be true/false (flag) or a whole count of at least 0."]
        if errors:
            raise ValidationError(errors)
        return out


class EstimateRequestSchema(Schema):
    beds = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_BEDS))
    baths = Baths(
        required=True,
        metadata={"type": "number", "minimum": 0, "maximum": MAX_BATHS, "multipleOf": 0.5},
    )
    service_type = fields.String(load_default="standard", validate=validate.OneOf(SERVICE_TYPES))
    heavy_grease = StrictBoolean(load_default=False)
    multi_floor = StrictBoolean(load_default=False)
    frequency = fields.String(load_default="one_time", validate=validate.OneOf(FREQUENCIES))
    add_ons = AddOns(
        load_default=dict,
        metadata={
            "additionalProperties": {
                "oneOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}]
            },
            "description": "Flag add-ons take true/false, per-unit add-ons a count; names come from "
            "the workspace's pricing config (unknown → 422).",
            "example": {"oven": True, "linen_beds": 2},
        },
    )


class EstimateOut(Schema):
    """Hours are JSON numbers whose text is the exact decimal (``8.775``); money is a two-place
    decimal string beside integer cents."""

    pricing_config_id = fields.Integer()
    pricing_config_version = fields.Integer()
    config_hash = fields.String(metadata={"example": "sha256:3f1c..."})
    currency = fields.String(metadata={"example": "CAD"})
    team_size = fields.Integer()
    cleaner_hours = fields.Float(metadata={"example": 4.1})
    time_on_site_hours = fields.Float(metadata={"example": 4.5})
    billed_cleaner_hours = fields.Float(metadata={"example": 4.5})
    rate = fields.String(metadata={"example": "35.00"})
    rate_cents = fields.Integer()
    labor = fields.String(metadata={"example": "157.50"})
    labor_cents = fields.Integer()
    discount = fields.String(metadata={"example": "0.00"})
    discount_cents = fields.Integer()
    add_ons = fields.String(metadata={"example": "30.00"})
    add_ons_cents = fields.Integer()
    total_before_tax = fields.String(metadata={"example": "187.50"})
    total_before_tax_cents = fields.Integer()


class PricingOut(Schema):
    id = fields.Integer()
    version = fields.Integer()
    config_hash = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    config = fields.Dict(metadata=PRICING_CONFIG_SCHEMA)


class PricingPut(Schema):
    config = fields.Dict(required=True, metadata=PRICING_CONFIG_SCHEMA)
    expected_version = fields.Integer(
        strict=True,
        metadata={"description": "If given and not the current version → 409 (lost update)."},
    )
