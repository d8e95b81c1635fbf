from marshmallow import Schema, fields, validate

from shared.pagination import PageArgs
from tenantapp.fields import LocalDateTime, UtcDateTime
from tenantapp.plans.models import PLAN_STATUSES
from tenantapp.plans.rules import FREQUENCIES
from tenantapp.pricing.schemas import EstimateRequestSchema


class PlanIn(Schema):
    customer_id = fields.Integer(required=True, strict=True)
    property_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "The customer's property the visits are at."},
    )
    frequency = fields.String(required=True, validate=validate.OneOf(FREQUENCIES))
    first_date = fields.Date(required=True, metadata={"description": "Tenant-local; not past."})
    start_time = fields.Time(required=True, format="%H:%M", metadata={"example": "09:00"})
    team_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    worker_ids = fields.List(
        fields.Integer(strict=True), validate=validate.Length(max=6), load_default=None
    )
    estimate_request = fields.Nested(
        EstimateRequestSchema,
        load_default=None,
        metadata={"description": "Default: the property's home details."},
    )
    ends_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Inclusive."}
    )
    max_visits = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 10000)
    )
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PlanPatch(Schema):
    effective_from = fields.Date(required=True)
    frequency = fields.String(validate=validate.OneOf(FREQUENCIES))
    start_time = fields.Time(format="%H:%M")
    team_id = fields.Integer(allow_none=True, strict=True)
    worker_ids = fields.List(fields.Integer(strict=True), validate=validate.Length(max=6))
    estimate_request = fields.Nested(EstimateRequestSchema)
    reprice = fields.Boolean(load_default=False)


class PauseIn(Schema):
    start = fields.Date(data_key="from", required=True)
    until = fields.Date(load_default=None, allow_none=True, metadata={"description": "Exclusive."})


class CustomerPauseIn(Schema):
    weeks = fields.Integer(required=True, strict=True, validate=validate.Range(1, 8))


class CancelPlanIn(Schema):
    effective_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class SkipIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class PriceOut(Schema):
    total_before_tax_cents = fields.Integer()
    pricing_config_version = fields.Integer()
    config_hash = fields.String()
    estimate_request = fields.Dict()


class VisitOut(Schema):
    date = fields.Date()
    starts_at = UtcDateTime()
    starts_at_local = LocalDateTime()
    ends_at = UtcDateTime()
    state = fields.String(
        metadata={
            "enum": [
                "planned",
                "booked",
                "skipped",
                "moved",
                "paused",
                "conflict",
                "done",
                "cancelled",
            ]
        }
    )
    booking_id = fields.Integer(allow_none=True)
    flags = fields.List(fields.String())
    conflict_reason = fields.String(allow_none=True)
    manage_url = fields.String(
        allow_none=True, metadata={"description": "Customer view only: the visit's signed link."}
    )


class PlanOut(Schema):
    id = fields.Integer()
    status = fields.String()
    customer_id = fields.Integer()
    property_id = fields.Integer(allow_none=True)
    lead_id = fields.Integer(allow_none=True)
    frequency = fields.String()
    rrule = fields.String()
    time_zone = fields.String()
    first_date = fields.Date()
    start_time = fields.String()
    duration_minutes = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    worker_ids = fields.List(fields.Integer())
    ends_on = fields.Date(allow_none=True)
    max_visits = fields.Integer(allow_none=True)
    notes = fields.String(allow_none=True)
    paused_from = fields.Date(allow_none=True)
    paused_until = fields.Date(allow_none=True)
    cancelled_on = fields.Date(allow_none=True)
    cancel_requested_at = UtcDateTime(
        allow_none=True,
        metadata={"description": "The customer asked to end the plan (staff decide)."},
    )
    cancel_request_reason = fields.String(allow_none=True)
    price = fields.Nested(PriceOut)
    upcoming = fields.List(fields.Nested(VisitOut))


class PlanPage(Schema):
    items = fields.List(fields.Nested(PlanOut))
    next_cursor = fields.String(allow_none=True)


class PlanListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(PLAN_STATUSES))
    customer_id = fields.Integer(load_default=None)


class RangeArgs(Schema):
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)


class OptionalRangeArgs(Schema):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)


class PlanScheduleOut(Schema):
    plan_id = fields.Integer()
    time_zone = fields.String()
    items = fields.List(fields.Nested(VisitOut))


class PlanConflictOut(Schema):
    booking_id = fields.Integer()
    plan_id = fields.Integer()
    occurrence_date = fields.Date()
    customer_id = fields.Integer()
    starts_at = UtcDateTime()
    starts_at_local = LocalDateTime()
    ends_at = UtcDateTime()
    reason = fields.String(allow_none=True)
    flags = fields.List(fields.String())


class PlanConflictsOut(Schema):
    items = fields.List(fields.Nested(PlanConflictOut))


class CancelRequestIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TokenArgs(Schema):
    token = fields.String(required=True)
