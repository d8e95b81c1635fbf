from decimal import Decimal

import phonenumbers
from marshmallow import Schema, ValidationError, fields, validate, validates

from tenantapp.settings import branding

CAPTCHA_MODES = ["off", "turnstile"]
EXPORT_MODES = ["off", "webhook"]
CAPTCHA_HELP = (
    "off | turnstile. Recommended: turnstile for any public booking site. POST /leads is the "
    "only step of the public flow that can tell a person from a script; with it off, a script "
    "can create leads (and their lead tokens) at the rate limit and hold slots and the booking "
    "allowance until the bookings expire or staff cancel them. The platform's "
    "CAPTCHA_MODE=turnstile turns it on for every workspace. See docs/public-booking.md."
)
PENDING_CAP_HELP = (
    "At most this many bookings may wait PENDING without a deposit (they never expire: no Stripe "
    "account, or Stripe was down); the next public booking gets 409 conflict until staff confirm "
    "or cancel some. Default 50."
)


SMS_FROM_HELP = (
    "The workspace's own Twilio number (E.164) for two-way texting: inbound texts to it land on "
    "the customers' threads. One workspace per number (409 when another has it). Empty: texts go "
    "from the platform's shared Messaging Service, which takes no replies. See docs/sms.md."
)
HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="use HH:MM (24-hour)")
BRAND_HELP = (
    "The booking page's brand colour, #rrggbb. Text on it is black or white, whichever has the "
    "higher contrast (always WCAG AA). null: the platform's default colour."
)


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


MAX_ACTIVE_TAX_RATES = 4
INVOICE_ON_COMPLETE = ["issue", "draft", "off"]
TAX_RATES_HELP = (
    "Up to 4 active rates, e.g. [{code: GST, name: GST, rate: '5.000'}]. rate is a percent, "
    "0-30 with at most three decimals; applies_to_add_ons false exempts add-on lines; "
    "registration_number is printed on invoices; accounting_code is the Xero TaxType "
    "(default: code). Invoices snapshot the rates when issued (docs/invoicing.md)."
)


class TaxRate(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$", error="1-20 letters/digits."),
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    rate = fields.Decimal(
        required=True,
        places=None,
        as_string=True,
        validate=validate.Range(min=0, max=30),
        metadata={"description": "Percent, e.g. '5.000'"},
    )
    applies_to_add_ons = fields.Boolean(load_default=True)
    active = fields.Boolean(load_default=True)
    registration_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=64)
    )
    accounting_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=50)
    )

    @validates("rate")
    def three_places(self, value, **kwargs):
        if value != value.quantize(Decimal("0.001")):
            raise ValidationError("At most three decimal places.")


COUNTRY_HELP = (
    "ISO 3166-1 alpha-2 code (upper case); the default region for phone numbers written "
    "without a country code."
)


class SettingsOut(Schema):
    company_name = fields.String()
    time_zone = fields.String()
    country = fields.String(metadata={"description": COUNTRY_HELP})
    contact_email = fields.String(allow_none=True)
    captcha_mode = fields.String(metadata={"description": CAPTCHA_HELP})
    export_mode = fields.String()
    export_target_url = fields.String(allow_none=True)
    deposit_policy = fields.Dict()
    referral_credit_cents = fields.Integer()
    flagged_postal_prefixes = fields.List(fields.String())
    booking_origins = fields.List(fields.String())
    platform_fee = fields.Nested(PlatformFee, allow_none=True)
    retention_lead_days = fields.Integer(allow_none=True)
    max_pending_without_deposit = fields.Integer(metadata={"description": PENDING_CAP_HELP})
    sms_from = fields.String(allow_none=True, metadata={"description": SMS_FROM_HELP})
    sms_quiet_start = fields.String()
    sms_quiet_end = fields.String()
    contact_phone = fields.String(allow_none=True)
    review_url = fields.String(allow_none=True)
    tax_rates = fields.List(fields.Nested(TaxRate), metadata={"description": TAX_RATES_HELP})
    tax_number = fields.String(allow_none=True)
    prices_include_tax = fields.Boolean()
    invoice_prefix = fields.String()
    invoice_due_days = fields.Integer()
    invoice_on_complete = fields.String()
    invoice_footer = fields.String(allow_none=True)
    accounting_revenue_account = fields.String()
    brand_color = fields.String(allow_none=True, metadata={"description": BRAND_HELP})
    brand_text_color = fields.Function(
        lambda s: branding.text_color_for(s.brand_color) if s.brand_color else None,
        allow_none=True,
        metadata={"description": "The text colour used on the brand colour (WCAG AA)."},
    )
    booking_intro = fields.String(allow_none=True)
    logo_url = fields.Function(
        lambda s: branding.logo_path(s),
        allow_none=True,
        metadata={"description": "Path of the logo inside the tenant app (/t/<slug>...)."},
    )
    updated_at = fields.DateTime()


class SettingsPatch(Schema):
    company_name = fields.String(validate=validate.Length(min=1, max=200))
    time_zone = fields.String()
    country = fields.String(
        validate=validate.OneOf(sorted(phonenumbers.SUPPORTED_REGIONS)),
        metadata={"description": COUNTRY_HELP},
    )
    contact_email = fields.Email(allow_none=True)
    captcha_mode = fields.String(
        validate=validate.OneOf(CAPTCHA_MODES), metadata={"description": CAPTCHA_HELP}
    )
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
    sms_from = fields.String(
        allow_none=True, validate=validate.Length(max=40), metadata={"description": SMS_FROM_HELP}
    )
    sms_quiet_start = fields.String(
        validate=HHMM, metadata={"description": "Automated texts wait from this local time"}
    )
    sms_quiet_end = fields.String(
        validate=HHMM, metadata={"description": "...until this local time (default 08:00)"}
    )
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    review_url = fields.Url(
        allow_none=True,
        schemes={"https"},
        validate=validate.Length(max=2000),
        metadata={"description": "Where customers who score 9-10 are invited to post a review"},
    )
    max_pending_without_deposit = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": PENDING_CAP_HELP},
    )
    tax_rates = fields.List(
        fields.Nested(TaxRate),
        validate=validate.Length(max=12),
        metadata={"description": TAX_RATES_HELP},
    )
    tax_number = fields.String(allow_none=True, validate=validate.Length(max=64))
    prices_include_tax = fields.Boolean()
    invoice_prefix = fields.String(
        validate=[
            validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9/_-]{0,11}$", error="1-12 letters/digits."),
            validate.NoneOf(["CN-"], error="CN- is the credit notes' prefix."),
        ]
    )
    invoice_due_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    invoice_on_complete = fields.String(validate=validate.OneOf(INVOICE_ON_COMPLETE))
    invoice_footer = fields.String(allow_none=True, validate=validate.Length(max=2000))
    accounting_revenue_account = fields.String(validate=validate.Length(min=1, max=32))

    @validates("tax_rates")
    def tax_rate_rules(self, rates, **kwargs):
        active = [r for r in rates if r["active"]]
        if len(active) > MAX_ACTIVE_TAX_RATES:
            raise ValidationError(f"At most {MAX_ACTIVE_TAX_RATES} active tax rates.")
        codes = [r["code"].upper() for r in rates]
        if len(codes) != len(set(codes)):
            raise ValidationError("Tax rate codes must be unique.")

    brand_color = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^#[0-9A-Fa-f]{6}$", error="Use a colour like #0f766e."),
        metadata={"description": BRAND_HELP},
    )
    booking_intro = fields.String(
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Plain text shown above the booking form (no HTML)."},
    )


class LogoOut(Schema):
    logo_url = fields.String()
    content_type = fields.String()
