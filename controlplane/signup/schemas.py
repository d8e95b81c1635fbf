from marshmallow import Schema, fields, validate

from controlplane.auth.schemas import TokenPair


class SignupIn(Schema):
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    time_zone = fields.String(load_default="America/Edmonton")
    captcha_token = fields.String(load_default=None, allow_none=True)


class TenantSummary(Schema):
    id = fields.UUID()
    slug = fields.String()
    status = fields.String()
    plan = fields.String()


class SignupOut(TokenPair):
    tenant = fields.Nested(TenantSummary)
