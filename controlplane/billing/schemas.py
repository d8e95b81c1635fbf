from marshmallow import Schema, fields, validate

from controlplane.tenants import schemas as tenant_schemas
from shared.api import BIGINT_MAX, INTEGER_MAX


class CheckoutIn(Schema):
    plan = fields.String(required=True, validate=validate.Length(min=1, max=32))


class CheckoutOut(Schema):
    checkout_url = fields.String()
    session_id = fields.String()


class PortalOut(Schema):
    url = fields.String()


class BillingStatus(Schema):
    plan = fields.String()
    status = fields.String()
    subscription_status = fields.String(allow_none=True)
    subscription_plan = fields.String(allow_none=True)
    current_period_end = fields.DateTime(allow_none=True)
    cancel_at_period_end = fields.Boolean()
    delinquent_since = fields.DateTime(allow_none=True)
    has_customer = fields.Boolean()
    limits = fields.Nested(tenant_schemas.Limits)
    usage = fields.Nested(tenant_schemas.Usage)
    period_start = fields.Date()
    drift = fields.Dict(keys=fields.String(), values=fields.Integer())


class WebhookOut(Schema):
    received = fields.Boolean()
    outcome = fields.String()


class PlanAdminOut(Schema):
    code = fields.String()
    name = fields.String()
    price_cents = fields.Integer()
    currency = fields.String()
    max_workers = fields.Integer()
    bookings_per_month = fields.Integer()
    storage_bytes = fields.Integer()
    sms_segments_per_month = fields.Integer()
    stripe_price_id = fields.String(allow_none=True)
    active = fields.Boolean()
    sort_order = fields.Integer()


class PlanAdminList(Schema):
    items = fields.List(fields.Nested(PlanAdminOut))


class PlanPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    # Bounded by their columns (INTEGER, storage BIGINT): beyond was a driver 500.
    price_cents = fields.Integer(validate=validate.Range(min=0, max=INTEGER_MAX))
    currency = fields.String(validate=validate.Regexp(r"^[a-z]{3}$"))
    max_workers = fields.Integer(validate=validate.Range(min=0, max=INTEGER_MAX))
    bookings_per_month = fields.Integer(validate=validate.Range(min=0, max=INTEGER_MAX))
    storage_bytes = fields.Integer(validate=validate.Range(min=0, max=BIGINT_MAX))
    sms_segments_per_month = fields.Integer(validate=validate.Range(min=0, max=INTEGER_MAX))
    stripe_price_id = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9_]{1,100}$")
    )
    active = fields.Boolean()
    sort_order = fields.Integer(validate=validate.Range(min=-INTEGER_MAX - 1, max=INTEGER_MAX))
