from marshmallow import Schema, fields, validate

from shared import fields as shared_fields


class TokenPair(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    expires_at = fields.DateTime()


class LoginIn(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    tenant = fields.String(load_default=None, allow_none=True)
    mfa_code = fields.String(load_default=None, allow_none=True)


class TenantRefOut(Schema):
    id = fields.UUID()
    slug = fields.String()


class LoginOut(TokenPair):
    tenant = fields.Nested(TenantRefOut)
    must_change_password = fields.Boolean()


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ChangePasswordIn(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = shared_fields.password(required=True)


class UserOut(Schema):
    id = fields.UUID()
    email = fields.String()
    email_verified = fields.Boolean()
    totp_enabled = fields.Boolean()


class TenantOut(Schema):
    id = fields.UUID()
    slug = fields.String()
    status = fields.String()
    plan = fields.String()
    company_name = fields.String()


class MeOut(Schema):
    user = fields.Nested(UserOut)
    tenant = fields.Nested(TenantOut)
    role = fields.String()
    must_change_password = fields.Boolean()
