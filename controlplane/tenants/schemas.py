from marshmallow import Schema, fields


class PlanOut(Schema):
    code = fields.String()
    name = fields.String()
    price_cents = fields.Integer()
    currency = fields.String()
    max_workers = fields.Integer()
    bookings_per_month = fields.Integer()
    storage_bytes = fields.Integer()
    sms_segments_per_month = fields.Integer()


class PlanList(Schema):
    items = fields.List(fields.Nested(PlanOut))


class Limits(Schema):
    active_workers = fields.Integer(allow_none=True)
    bookings_created = fields.Integer(allow_none=True)
    storage_bytes = fields.Integer(allow_none=True)
    api_requests = fields.Integer(allow_none=True)
    sms_segments = fields.Integer(allow_none=True)


class Usage(Schema):
    active_workers = fields.Integer()
    bookings_created = fields.Integer()
    storage_bytes = fields.Integer()
    api_requests = fields.Integer()
    sms_segments = fields.Integer()


class TenantDetail(Schema):
    id = fields.UUID()
    slug = fields.String()
    company_name = fields.String()
    status = fields.String()
    plan = fields.String()
    time_zone = fields.String()
    limits = fields.Nested(Limits)
    usage = fields.Nested(Usage)
    period_start = fields.Date()
