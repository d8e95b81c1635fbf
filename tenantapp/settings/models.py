from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantBase


class TenantSettings(TenantBase):
    """The tenant's single settings row (id is always 1)."""

    __tablename__ = "settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("captcha_mode IN ('off','turnstile')", name="captcha_mode"),
        CheckConstraint("export_mode IN ('off','webhook')", name="export_mode"),
        CheckConstraint("referral_credit_cents >= 0", name="referral_credit"),
        CheckConstraint("max_pending_without_deposit >= 1", name="max_pending_without_deposit"),
        CheckConstraint("brand_color ~ '^#[0-9a-f]{6}$'", name="brand_color"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country"),
        CheckConstraint(
            "invoice_on_complete IN ('issue','draft','off')", name="invoice_on_complete"
        ),
        CheckConstraint("invoice_due_days BETWEEN 0 AND 365", name="invoice_due_days"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    company_name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), server_default="America/Edmonton")
    # ISO 3166-1 alpha-2; the default region for phone numbers (SPEC §5.1).
    country: Mapped[str] = mapped_column(String(2), server_default="CA")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    captcha_mode: Mapped[str] = mapped_column(String(16), server_default="off")
    export_mode: Mapped[str] = mapped_column(String(16), server_default="off")
    export_target_url: Mapped[str | None] = mapped_column(String(2000))
    deposit_policy: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    referral_credit_cents: Mapped[int] = mapped_column(Integer, server_default="2000")
    flagged_postal_prefixes: Mapped[list] = mapped_column(JSONB, server_default="[]")
    booking_origins: Mapped[list] = mapped_column(JSONB, server_default="[]")
    platform_fee: Mapped[dict | None] = mapped_column(JSONB)
    retention_lead_days: Mapped[int | None] = mapped_column(Integer)
    stripe_account_id: Mapped[str | None] = mapped_column(String(255))
    payouts_ready: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Fernet token under DATA_ENCRYPTION_KEYS (shared/crypto.py); NULL = the legacy derived one.
    export_signing_secret: Mapped[str | None] = mapped_column(String(255))
    # Public bookings left PENDING with no deposit (no Stripe account, Stripe down) wait for staff
    # and never expire: past this many, the public booking flow answers 409 (issue #17).
    max_pending_without_deposit: Mapped[int] = mapped_column(Integer, server_default="50")
    # SMS (SPEC §5.12): the workspace's own number (two-way texting), quiet hours for automated
    # texts (tenant-local "HH:MM"), the phone given to customers, the public review page.
    sms_from: Mapped[str | None] = mapped_column(String(20))
    sms_quiet_start: Mapped[str] = mapped_column(String(5), server_default="21:00")
    sms_quiet_end: Mapped[str] = mapped_column(String(5), server_default="08:00")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    review_url: Mapped[str | None] = mapped_column(String(2000))
    # Invoices and tax (SPEC §5.11; validated by settings/schemas.py, docs/invoicing.md).
    tax_rates: Mapped[list] = mapped_column(JSONB, server_default="[]")
    tax_number: Mapped[str | None] = mapped_column(String(64))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, server_default="false")
    invoice_prefix: Mapped[str] = mapped_column(String(12), server_default="INV-")
    invoice_due_days: Mapped[int] = mapped_column(Integer, server_default="0")
    invoice_on_complete: Mapped[str] = mapped_column(String(8), server_default="issue")
    invoice_footer: Mapped[str | None] = mapped_column(Text)
    accounting_revenue_account: Mapped[str] = mapped_column(String(32), server_default="200")
    # Booking-page branding (SPEC §5.13, docs/pages.md): a lower-case #rrggbb, plain text, and the
    # logo in object storage (re-encoded on upload; the digest versions its public URL).
    brand_color: Mapped[str | None] = mapped_column(String(7))
    booking_intro: Mapped[str | None] = mapped_column(String(1000))
    logo_ref: Mapped[str | None] = mapped_column(String(500))
    logo_type: Mapped[str | None] = mapped_column(String(16))
    logo_digest: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
