"""Booking-page branding (settings.brand_color, booking_intro, logo) and leads.sms_opt_in (issue #27)

Revision ID: t0013_branding
Revises: t0012_customers_properties
Create Date: 2026-12-06 04:10:00

Offline-safe (DDL only). The logo itself lives in object storage under
``tenants/<tenant_id>/branding/``; the settings row keeps its reference, type and digest (the
digest versions its public URL).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0013_branding"
down_revision: str | Sequence[str] | None = "t0012_customers_properties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("settings", sa.Column("brand_color", sa.String(length=7), nullable=True))
    op.add_column("settings", sa.Column("booking_intro", sa.String(length=1000), nullable=True))
    op.add_column("settings", sa.Column("logo_ref", sa.String(length=500), nullable=True))
    op.add_column("settings", sa.Column("logo_type", sa.String(length=16), nullable=True))
    op.add_column("settings", sa.Column("logo_digest", sa.String(length=16), nullable=True))
    op.create_check_constraint(
        op.f("ck_settings_brand_color"), "settings", "brand_color ~ '^#[0-9a-f]{6}$'"
    )
    op.add_column(
        "leads", sa.Column("sms_opt_in", sa.Boolean(), server_default="false", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("leads", "sms_opt_in")
    op.drop_constraint(op.f("ck_settings_brand_color"), "settings", type_="check")
    for name in ("logo_digest", "logo_type", "logo_ref", "booking_intro", "brand_color"):
        op.drop_column("settings", name)
