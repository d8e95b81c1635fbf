from marshmallow import Schema, fields, validate

CAPTCHA_MODES = ["off", "turnstile"]
EXPORT_MODES = ["off", "webhook"]


class DepositPolicy(Schema):
    base_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    heavy_service_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    notice_24h_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    notice_48h_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    high_value_percent = fields.Integer(validate=validate.Range(min=0, max=100))
    high_value_cents = fields.Integer(validate=validate.Range(min=0))
    min_cents = fields.Integer(validate=validate.Range(min=0))
    max_cents = fields.Integer(validate=validate.Range(min=0))


class PlatformFee(Schema):
    percent = fields.Decimal(as_string=True, validate=validate.Range(min=0, max=100))
    fixed_cents = fields.Integer(validate=validate.Range(min=0))


class SettingsOut(Schema):
    company_name = fields.String()
    time_zone = fields.String()
    contact_email = fields.String(allow_none=True)
    captcha_mode = fields.String()
    export_mode = fields.String()
    export_target_url = fields.String(allow_none=True)
    deposit_policy = fields.Dict()
    referral_credit_cents = fields.Integer()
    flagged_postal_prefixes = fields.List(fields.String())
    booking_origins = fields.List(fields.String())
    platform_fee = fields.Nested(PlatformFee, allow_none=True)
    retention_lead_days = fields.Integer(allow_none=True)
    updated_at = fields.DateTime()


class SettingsPatch(Schema):
    company_name = fields.String(validate=validate.Length(min=1, max=200))
    time_zone = fields.String()
    contact_email = fields.Email(allow_none=True)
    captcha_mode = fields.String(validate=validate.OneOf(CAPTCHA_MODES))
    export_mode = fields.String(validate=validate.OneOf(EXPORT_MODES))
    export_target_url = fields.Url(allow_none=True, schemes={"http", "https"}, require_tld=False)
    deposit_policy = fields.Nested(DepositPolicy)
    referral_credit_cents = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    flagged_postal_prefixes = fields.List(
        fields.String(validate=validate.Length(min=1, max=3)), validate=validate.Length(max=500)
    )
    booking_origins = fields.List(
        fields.Url(schemes={"http", "https"}, require_tld=False), validate=validate.Length(max=20)
    )
    platform_fee = fields.Nested(PlatformFee, allow_none=True)
    retention_lead_days = fields.Integer(allow_none=True, validate=validate.Range(min=30, max=3650))
