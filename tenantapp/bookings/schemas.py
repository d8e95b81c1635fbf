from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.api import BIGINT_MAX
from shared.pagination import PageArgs
from tenantapp.bookings.models import BOOKING_STATUSES
from tenantapp.fields import LocalDateTime, TenantInstant, UtcDateTime
from tenantapp.pricing.schemas import EstimateRequestSchema


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
    team_id = fields.Integer(
        allow_none=True, metadata={"description": "null: a plan visit waiting for a team."}
    )
    worker_ids = fields.List(
        fields.Integer(), metadata={"description": "The crew, in the order it was assigned."}
    )
    worker_id = fields.Integer(
        allow_none=True, metadata={"description": "Deprecated: the first of worker_ids."}
    )
    crew_size = fields.Integer(
        metadata={"description": "Workers on the job: the crew, else the estimate's team size."}
    )
    lead_id = fields.Integer(allow_none=True, metadata={"description": "null: made by staff."})
    customer_id = fields.Integer()
    property_id = fields.Integer(allow_none=True)
    service_type = fields.String()
    estimate_total_cents = fields.Integer()
    price_override_cents = fields.Integer(allow_none=True)
    price_override_reason = fields.String(allow_none=True)
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
    customer_id = fields.Integer(load_default=None)


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


class StaffBookingIn(Schema):
    """SPEC §5.9: exactly these fields (unknown ones → 422)."""

    customer_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=BIGINT_MAX)
    )
    property_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=BIGINT_MAX)
    )
    estimate_request = fields.Nested(
        EstimateRequestSchema,
        load_default=None,
        metadata={
            "description": "Prices and sizes the job (default: the property's home details as "
            "a one-time clean); a recurring frequency → 422 (that is a plan)."
        },
    )
    price_override_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=10_000_000),
        metadata={"description": "Replaces the estimate's total; needs price_override_reason."},
    )
    price_override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    starts_at = TenantInstant(required=True)
    duration_minutes = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=[validate.Range(min=30, max=600)],
        metadata={"multipleOf": 30, "description": "30..600 in 30-minute steps (audited)."},
    )
    team_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=BIGINT_MAX),
    )
    worker_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=BIGINT_MAX)),
        load_default=list,
        validate=validate.Length(max=6),
    )
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    override_availability = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Book outside working hours or over a blackout (never over another "
            "booking of the team or a worker); needs override_reason."
        },
    )
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    skip_deposit = fields.Boolean(load_default=False)

    @validates_schema
    def _steps(self, data, **kwargs):
        minutes = data.get("duration_minutes")
        if minutes is not None and minutes % 30:
            raise ValidationError("duration_minutes must be a multiple of 30", "duration_minutes")


class CrewIn(Schema):
    worker_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=BIGINT_MAX)),
        required=True,
        validate=validate.Length(min=1, max=6),
        metadata={"description": "1..6 active workers, each free at the booking's time."},
    )
