from marshmallow import Schema, fields, validate

from tenantapp.fields import LocalDateTime, UtcDateTime


class JobOut(Schema):
    id = fields.Integer()
    status = fields.String()
    service_type = fields.String()
    starts_at = UtcDateTime()
    starts_at_local = LocalDateTime()
    ends_at = UtcDateTime()
    duration_minutes = fields.Integer()
    team_id = fields.Integer()
    worker_id = fields.Integer(
        allow_none=True, metadata={"description": "Deprecated: the first of worker_ids."}
    )
    worker_ids = fields.List(fields.Integer(), metadata={"description": "The crew."})
    assigned_to_me = fields.Boolean()
    notes = fields.String(allow_none=True)
    customer_name = fields.String(allow_none=True)
    customer_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    access_notes = fields.String(allow_none=True)
    key_notes = fields.String(allow_none=True)
    parking = fields.String(allow_none=True)
    pets = fields.String(allow_none=True)
    allergies = fields.String(allow_none=True)


class JobPage(Schema):
    items = fields.List(fields.Nested(JobOut))
    next_cursor = fields.String(allow_none=True)


class OnMyWayIn(Schema):
    eta_minutes = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=240),
        metadata={"description": "Minutes until arrival, shown in the text."},
    )


class OnMyWayOut(Schema):
    booking_id = fields.Integer()
    status = fields.String()
    body = fields.String()
    segments = fields.Integer()
    created_at = fields.DateTime()
