from marshmallow import Schema, fields, validate

from controlplane.auth.schemas import TokenPair
from shared import fields as shared_fields


class SignupIn(Schema):
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = shared_fields.slug(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = shared_fields.password(required=True)
    time_zone = shared_fields.time_zone(load_default="America/Edmonton")
    captcha_token = fields.String(load_default=None, allow_none=True)


class TenantSummary(Schema):
    id = fields.UUID()
    slug = fields.String()
    status = fields.String()
    plan = fields.String()


class SignupOut(TokenPair):
    tenant = fields.Nested(TenantSummary)
