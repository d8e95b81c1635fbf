from marshmallow import Schema, fields, validate


class MetricsArgs(Schema):
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class Conversions(Schema):
    leads = fields.Integer()
    bookings = fields.Integer()
    confirmed = fields.Integer()
    completed = fields.Integer()
    lead_conversion_rate = fields.Float(allow_none=True)


class EstimateAccuracy(Schema):
    jobs = fields.Integer()
    estimated_minutes = fields.Integer()
    actual_minutes = fields.Integer()
    ratio = fields.Float(allow_none=True)


class TeamUtilisation(Schema):
    team_id = fields.Integer()
    team = fields.String()
    booked_minutes = fields.Integer()
    available_minutes = fields.Integer()
    utilisation = fields.Float(allow_none=True)


class Retention(Schema):
    customers = fields.Integer()
    d30 = fields.Float(allow_none=True)
    d60 = fields.Float(allow_none=True)
    d90 = fields.Float(allow_none=True)


class WorkerReviews(Schema):
    worker_id = fields.Integer()
    name = fields.String(allow_none=True)
    responses = fields.Integer()
    nps = fields.Float(allow_none=True)
    average = fields.Float(allow_none=True)


class Reviews(Schema):
    responses = fields.Integer()
    nps = fields.Float(
        allow_none=True, metadata={"description": "% of 9-10 minus % of 0-6, -100..100"}
    )
    average = fields.Float(allow_none=True)
    by_worker = fields.List(fields.Nested(WorkerReviews))


class Metrics(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    time_zone = fields.String()
    conversions = fields.Nested(Conversions)
    revenue_cents = fields.Integer()
    average_order_value_cents = fields.Integer(allow_none=True)
    estimate_accuracy = fields.Nested(EstimateAccuracy)
    utilisation = fields.List(fields.Nested(TeamUtilisation))
    cancellation_rate = fields.Float(allow_none=True)
    retention = fields.Nested(Retention)
    reviews = fields.Nested(Reviews)
