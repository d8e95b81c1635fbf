from marshmallow import Schema, fields, validate

from shared.pagination import PageArgs
from tenantapp.bookings.models import BOOKING_STATUSES
from tenantapp.fields import LocalDateTime, TenantInstant, UtcDateTime


class BookingIn(Schema):
    lead_id = fields.Integer(required=True, strict=True)
    lead_token = fields.String(
        load_default=None,
        metadata={
            "description": "Required: the lead_token POST /leads answered. Missing or wrong → "
            "404, the same answer as an unknown lead_id."
        },
    )
    starts_at = TenantInstant(required=True)
    photo_consent = fields.Boolean(load_default=False)


class RiskOut(Schema):
    score = fields.Integer()
    band = fields.String()
    reasons = fields.List(fields.String())


class DepositOut(Schema):
    required = fields.Boolean()
    amount_cents = fields.Integer()
    percent = fields.Integer()
    reasons = fields.List(fields.String())
    status = fields.String(allow_none=True)
    checkout_url = fields.String(allow_none=True)
    downgraded_reason = fields.String(allow_none=True)


class BookingOut(Schema):
    id = fields.Integer()
    status = fields.String()
    starts_at = UtcDateTime()
    starts_at_local = LocalDateTime()
    ends_at = UtcDateTime()
    duration_minutes = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    worker_id = fields.Integer(allow_none=True)
    lead_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer()
    total_cents = fields.Integer()
    credit_applied_cents = fields.Integer()
    risk = fields.Nested(RiskOut)
    deposit = fields.Nested(DepositOut)
    refund_cents = fields.Integer()
    photo_consent = fields.Boolean()
    notes = fields.String(allow_none=True)
    policy_snapshot = fields.Dict()
    manage_url = fields.String(allow_none=True)
    plan_id = fields.Integer(allow_none=True)
    occurrence_date = fields.Date(allow_none=True)
    flags = fields.List(fields.String())
    conflict_reason = fields.String(allow_none=True)


class BookingPage(Schema):
    items = fields.List(fields.Nested(BookingOut))
    next_cursor = fields.String(allow_none=True)


class BookingListArgs(PageArgs):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(BOOKING_STATUSES))
    team_id = fields.Integer(load_default=None)


class BookingPatch(Schema):
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    photo_consent = fields.Boolean()
    team_id = fields.Integer(strict=True)


class CancelIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class MoveIn(Schema):
    starts_at = TenantInstant(required=True)
    team_id = fields.Integer(load_default=None, allow_none=True)


class RescheduleIn(Schema):
    starts_at = TenantInstant(required=True)


class TokenArgs(Schema):
    token = fields.String(required=True)


class AssignIn(Schema):
    worker_id = fields.Integer(required=True, allow_none=True, strict=True)
