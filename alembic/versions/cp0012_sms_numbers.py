"""SMS: numbers owned by tenants, the shared service's contacts and opt-outs, plan SMS limits

Revision ID: cp0012_sms_numbers
Revises: cp0011_ops_snapshots
Create Date: 2026-12-06 04:30:00

SPEC §5.12 / §4.2: inbound texts are routed by the ``To`` number (one tenant per number); the
plans gain their monthly ``sms_segments`` allowance (free 50, pro 1 000, business 10 000).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "cp0012_sms_numbers"
down_revision: str | Sequence[str] | None = "cp0011_ops_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMITS = {"free": 50, "pro": 1000, "business": 10000}


def upgrade() -> None:
    op.add_column(
        "plans",
        sa.Column("sms_segments_per_month", sa.Integer(), server_default="0", nullable=False),
        schema="public",
    )
    for code, limit in LIMITS.items():
        op.execute(
            f"UPDATE public.plans SET sms_segments_per_month = {limit} WHERE code = '{code}'"
        )
    op.create_table(
        "sms_numbers",
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_sms_numbers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("phone_number", name=op.f("pk_sms_numbers")),
        schema="public",
    )
    op.create_index(op.f("ix_sms_numbers_tenant_id"), "sms_numbers", ["tenant_id"], schema="public")
    op.create_table(
        "sms_shared_contacts",
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "last_sent_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_sms_shared_contacts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("phone_number", name=op.f("pk_sms_shared_contacts")),
        schema="public",
    )
    op.create_index(
        op.f("ix_sms_shared_contacts_tenant_id"),
        "sms_shared_contacts",
        ["tenant_id"],
        schema="public",
    )
    op.create_table(
        "sms_platform_opt_outs",
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column(
            "opted_out_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("phone_number", name=op.f("pk_sms_platform_opt_outs")),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("sms_platform_opt_outs", schema="public")
    op.drop_index(
        op.f("ix_sms_shared_contacts_tenant_id"), table_name="sms_shared_contacts", schema="public"
    )
    op.drop_table("sms_shared_contacts", schema="public")
    op.drop_index(op.f("ix_sms_numbers_tenant_id"), table_name="sms_numbers", schema="public")
    op.drop_table("sms_numbers", schema="public")
    op.drop_column("plans", "sms_segments_per_month", schema="public")
