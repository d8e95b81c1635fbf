from decimal import Decimal

from marshmallow import Schema, fields, pre_load, validate

from shared import fields as shared_fields
from shared.pagination import PageArgs
from tenantapp.fields import UtcDateTime

_skill = fields.String(validate=validate.Length(min=1, max=50))


class _NormalisedEmail(Schema):
    @pre_load
    def normalise_email(self, data, **kwargs):
        """E-mails are matched case-insensitively: stored trimmed and lower-case."""
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip().lower()}
        return data


class WorkerIn(_NormalisedEmail):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    email = fields.Email(required=True, validate=validate.Length(max=320))
    team_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    skills = fields.List(_skill, load_default=list, validate=validate.Length(max=50))
    hourly_rate_cents = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=100_000_00)
    )
    active = fields.Boolean(load_default=True)
    pay_type = fields.String(
        load_default="hourly", validate=validate.OneOf(("hourly", "flat", "percent"))
    )
    pay_flat_cents = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=100_000_00)
    )
    pay_percent = fields.Decimal(
        load_default=Decimal("0"),
        places=2,
        as_string=True,
        validate=validate.Range(min=0, max=100),
    )


class WorkerPatch(_NormalisedEmail):
    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    email = fields.Email(validate=validate.Length(max=320))
    team_id = fields.Integer(allow_none=True, strict=True)
    skills = fields.List(_skill, validate=validate.Length(max=50))
    hourly_rate_cents = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000_00))
    active = fields.Boolean()
    pay_type = fields.String(validate=validate.OneOf(("hourly", "flat", "percent")))
    pay_flat_cents = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000_00))
    pay_percent = fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0, max=100))


class WorkerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String()
    team_id = fields.Integer(allow_none=True)
    skills = fields.List(fields.String())
    hourly_rate_cents = fields.Integer()
    pay_type = fields.String()
    pay_flat_cents = fields.Integer()
    pay_percent = fields.Decimal(places=2, as_string=True)
    active = fields.Boolean()
    invite_pending = fields.Boolean()
    invite_expires_at = UtcDateTime(allow_none=True)
    has_password = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class WorkerCreated(WorkerOut):
    invite_url = fields.String(metadata={"description": "One-time link, valid 7 days."})


class WorkerPage(Schema):
    items = fields.List(fields.Nested(WorkerOut))
    next_cursor = fields.String(allow_none=True)


class WorkerListArgs(PageArgs):
    active = fields.Boolean(load_default=None)
    team_id = fields.Integer(load_default=None)


class AcceptInviteIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = shared_fields.password(required=True, max_length=200)


class AcceptInviteOut(Schema):
    worker_id = fields.Integer()
    email = fields.String()


class WorkerLoginIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(max=200))


class WorkerTokenOut(Schema):
    access_token = fields.String()
    expires_at = UtcDateTime()
