from marshmallow import Schema, fields, validate

from controlplane.auth.schemas import TokenPair
from shared import fields as shared_fields
from shared.models.accounts import ROLES
from shared.pagination import PageArgs, page_schema


class MemberOut(Schema):
    id = fields.UUID()
    user_id = fields.UUID()
    email = fields.String()
    role = fields.String()
    active = fields.Boolean()
    status = fields.String()
    must_change_password = fields.Boolean()
    email_verified = fields.Boolean()
    totp_enabled = fields.Boolean()
    created_at = fields.DateTime()


MemberPage = page_schema(MemberOut, "MemberPage")


class MemberListArgs(PageArgs):
    pass


class InviteIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class InviteOut(Schema):
    id = fields.UUID()
    email = fields.String()
    role = fields.String()
    status = fields.String()
    expires_at = fields.DateTime()


class InvitationTenantOut(Schema):
    slug = fields.String()
    company_name = fields.String()


class InvitationOut(Schema):
    email = fields.String()
    role = fields.String()
    tenant = fields.Nested(InvitationTenantOut)
    inviter = fields.String(allow_none=True)
    expires_at = fields.DateTime()
    account = fields.String(metadata={"enum": ["new", "existing", "unverified"]})


class AcceptIn(Schema):
    password = fields.String(load_default=None, load_only=True, validate=validate.Length(max=256))


class AcceptTenantOut(Schema):
    id = fields.UUID()
    slug = fields.String()


class AcceptOut(TokenPair):
    tenant = fields.Nested(AcceptTenantOut)
    role = fields.String()
    must_change_password = fields.Boolean()


class RoleIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class PasswordResetIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))


class PasswordResetConfirmIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = shared_fields.password(required=True)


class VerifyEmailIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=500))


class VerifyEmailOut(Schema):
    email_verified = fields.Boolean()


class TotpEnrollOut(Schema):
    secret = fields.String()
    otpauth_uri = fields.String()


class TotpCodeIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class TotpStateOut(Schema):
    totp_enabled = fields.Boolean()


class AcceptedOut(Schema):
    detail = fields.String()
