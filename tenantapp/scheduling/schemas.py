from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.api import BIGINT_MAX
from tenantapp.fields import LocalDateTime, TenantInstant, UtcDateTime

SERVICE_TYPES = ["standard", "deep", "move_out", "move_in"]


class TeamOut(Schema):
    id = fields.Integer()
    name = fields.String()
    is_default = fields.Boolean()
    active = fields.Boolean()


class TeamIn(Schema):
    id = fields.Integer(load_default=None, allow_none=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    active = fields.Boolean(load_default=True)


class TeamsIn(Schema):
    teams = fields.List(
        fields.Nested(TeamIn), required=True, validate=validate.Length(min=1, max=100)
    )


class TeamsOut(Schema):
    items = fields.List(fields.Nested(TeamOut))


class HoursIn(Schema):
    day_of_week = fields.Integer(required=True, validate=validate.Range(min=0, max=6))
    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")


class HoursListIn(Schema):
    hours = fields.List(fields.Nested(HoursIn), required=True, validate=validate.Length(max=7))


class HoursOut(Schema):
    day_of_week = fields.Integer()
    start = fields.Time(attribute="start_time", format="%H:%M")
    end = fields.Time(attribute="end_time", format="%H:%M")


class HoursListOut(Schema):
    team_id = fields.Integer()
    hours = fields.List(fields.Nested(HoursOut))


class BlackoutIn(Schema):
    team_id = fields.Integer(load_default=None, allow_none=True)
    starts_at = TenantInstant(required=True)
    ends_at = TenantInstant(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class BlackoutOut(Schema):
    id = fields.Integer()
    team_id = fields.Integer(allow_none=True)
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    reason = fields.String(allow_none=True)


class BlackoutQuery(Schema):
    start = TenantInstant(data_key="from", load_default=None)
    end = TenantInstant(data_key="to", load_default=None)


class BlackoutList(Schema):
    items = fields.List(fields.Nested(BlackoutOut))


class SlotQuery(Schema):
    date = fields.Date(required=True)
    lead_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=BIGINT_MAX))
    lead_token = fields.String(
        load_default=None,
        metadata={
            "description": "Required with lead_id (from POST /leads); missing or wrong → 404, "
            "the same answer as an unknown lead_id."
        },
    )
    service_type = fields.String(load_default=None, validate=validate.OneOf(SERVICE_TYPES))
    time_on_site_hours = fields.Decimal(
        load_default=None, places=2, validate=validate.Range(min=0.5, max=24)
    )
    window_start_hour = fields.Integer(load_default=None, validate=validate.Range(min=0, max=23))
    window_end_hour = fields.Integer(load_default=None, validate=validate.Range(min=1, max=24))

    @validates_schema
    def _shape(self, data, **kwargs):
        if data.get("lead_id") is None and (
            data.get("service_type") is None or data.get("time_on_site_hours") is None
        ):
            raise ValidationError("give lead_id, or service_type and time_on_site_hours", "lead_id")
        ws, we = data.get("window_start_hour"), data.get("window_end_hour")
        if (ws is None) != (we is None):
            raise ValidationError("give both window hours or neither", "window_start_hour")
        if ws is not None and ws >= we:
            raise ValidationError(
                "window_start_hour must be before window_end_hour", "window_end_hour"
            )


class SlotOut(Schema):
    starts_at = UtcDateTime()
    starts_at_local = LocalDateTime()
    ends_at = UtcDateTime()
    team_id = fields.Integer()


class SlotsOut(Schema):
    date = fields.Date()
    duration_minutes = fields.Integer()
    suggestions = fields.List(fields.Nested(SlotOut))
    clarifier = fields.String(allow_none=True)


class Interval(Schema):
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()


class Window(Schema):
    start = UtcDateTime()
    end = UtcDateTime()


class TeamScheduleOut(Schema):
    team_id = fields.Integer()
    name = fields.String()
    window = fields.Nested(Window, allow_none=True)
    bookings = fields.List(fields.Nested(Interval))
    blackouts = fields.List(fields.Nested(Interval))
    free = fields.List(fields.Nested(Interval))


class ScheduleQuery(Schema):
    day = fields.Date(required=True)


class UnassignedOut(Schema):
    booking_id = fields.Integer()
    plan_id = fields.Integer(allow_none=True)
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    conflict_reason = fields.String(allow_none=True)


class ScheduleOut(Schema):
    day = fields.Date()
    time_zone = fields.String()
    teams = fields.List(fields.Nested(TeamScheduleOut))
    unassigned = fields.List(
        fields.Nested(UnassignedOut),
        metadata={"description": "Plan visits in conflict that day: no team yet (SPEC §5.10)."},
    )
