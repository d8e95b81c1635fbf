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


class Revenue(Schema):
    invoiced_cents = fields.Integer()
    invoiced_tax_cents = fields.Integer()
    collected_cents = fields.Integer()
    refunded_cents = fields.Integer()


class Metrics(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    time_zone = fields.String()
    conversions = fields.Nested(Conversions)
    revenue_cents = fields.Integer()
    revenue = fields.Nested(Revenue)
    average_order_value_cents = fields.Integer(allow_none=True)
    estimate_accuracy = fields.Nested(EstimateAccuracy)
    utilisation = fields.List(fields.Nested(TeamUtilisation))
    cancellation_rate = fields.Float(allow_none=True)
    retention = fields.Nested(Retention)
    reviews = fields.Nested(Reviews)


class AgingArgs(Schema):
    as_of = fields.Date(load_default=None)


class RangeArgs(Schema):
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)


class PaymentsArgs(RangeArgs):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class AgingRow(Schema):
    customer_id = fields.Integer()
    name = fields.String(allow_none=True)
    invoices = fields.Integer()
    current = fields.Integer()
    days_1_30 = fields.Integer()
    days_31_60 = fields.Integer()
    days_61_90 = fields.Integer()
    days_over_90 = fields.Integer()
    total_cents = fields.Integer()


class AgingTotals(Schema):
    current = fields.Integer()
    days_1_30 = fields.Integer()
    days_31_60 = fields.Integer()
    days_61_90 = fields.Integer()
    days_over_90 = fields.Integer()
    total_cents = fields.Integer()


class Aging(Schema):
    as_of = fields.Date()
    customers = fields.List(fields.Nested(AgingRow))
    totals = fields.Nested(AgingTotals)


class TaxRateRow(Schema):
    code = fields.String()
    name = fields.String()
    rate = fields.String()
    invoiced_taxable_cents = fields.Integer()
    invoiced_tax_cents = fields.Integer()
    credited_taxable_cents = fields.Integer()
    credited_tax_cents = fields.Integer()
    net_taxable_cents = fields.Integer()
    net_tax_cents = fields.Integer()


class TaxReport(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    rates = fields.List(fields.Nested(TaxRateRow))
    total_tax_cents = fields.Integer()


class PaymentRow(Schema):
    type = fields.String()
    id = fields.Integer()
    date = fields.Date()
    invoice_id = fields.Integer()
    invoice_number = fields.String(allow_none=True)
    method = fields.String()
    amount_cents = fields.Integer()
    reference = fields.String(allow_none=True)
    stripe_reference = fields.String(allow_none=True)


class PaymentsReport(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    items = fields.List(fields.Nested(PaymentRow))
    received_cents = fields.Integer()
    refunded_cents = fields.Integer()
    net_cents = fields.Integer()
