from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tenantapp.timesheets.service import MAX_DAYS


class TimesheetArgs(Schema):
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True, metadata={"description": "exclusive"})
    worker_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def check_range(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("to must be after from", "to")
        if (end - start).days > MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days at once", "to")


class TimesheetRow(Schema):
    worker_id = fields.Integer()
    worker_name = fields.String()
    date = fields.Date()
    day_hours = fields.Integer(metadata={"description": "23 or 25 on DST change days"})
    scheduled_minutes = fields.Integer()
    clocked_minutes = fields.Integer()
    jobs = fields.Integer()
    pay_type = fields.String()
    pay_cents = fields.Integer()
    tips_cents = fields.Integer()


class TimesheetTotal(Schema):
    worker_id = fields.Integer()
    worker_name = fields.String()
    pay_type = fields.String()
    scheduled_minutes = fields.Integer()
    clocked_minutes = fields.Integer()
    jobs = fields.Integer()
    pay_cents = fields.Integer()
    tips_cents = fields.Integer()


class Timesheet(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    time_zone = fields.String()
    items = fields.List(fields.Nested(TimesheetRow))
    totals = fields.List(fields.Nested(TimesheetTotal))
