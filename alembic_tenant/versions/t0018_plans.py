"""Recurring service plans: the plans table and plan visits on bookings (issue #23, SPEC §5.10)

Revision ID: t0018_plans
Revises: t0017_search
Create Date: 2026-12-06 04:10:00

Offline-safe (DDL only). Bookings gain ``plan_id`` + ``occurrence_date`` (UNIQUE together: a visit
is materialised once, whatever runs twice), ``flags``, ``conflict_reason``, ``detached``,
``skipped_at`` and the SKIPPED status; ``team_id`` may be null for a plan visit in conflict.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "t0018_plans"
down_revision: str | Sequence[str] | None = "t0017_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("property_id", sa.BigInteger(), nullable=True),
        sa.Column("lead_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="ACTIVE", nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("segments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "worker_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("service_type", sa.String(length=16), nullable=False),
        sa.Column("estimate_request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("estimate", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pricing_config_version", sa.Integer(), nullable=False),
        sa.Column("config_hash", sa.String(length=80), nullable=False),
        sa.Column("total_before_tax_cents", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("max_visits", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("paused_from", sa.Date(), nullable=True),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("materialised_through", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE','PAUSED','CANCELLED','ENDED')", name=op.f("ck_plans_status")
        ),
        sa.CheckConstraint(
            "frequency IN ('weekly','biweekly','monthly')", name=op.f("ck_plans_frequency")
        ),
        sa.CheckConstraint(
            "max_visits IS NULL OR max_visits >= 1", name=op.f("ck_plans_max_visits")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_plans_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_plans_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_plans_property_id_properties")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_plans_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(op.f("ix_plans_customer_id"), "plans", ["customer_id"], unique=False)
    op.create_index(
        "ix_plans_status_horizon", "plans", ["status", "materialised_through"], unique=False
    )

    op.add_column("bookings", sa.Column("plan_id", sa.BigInteger(), nullable=True))
    op.add_column("bookings", sa.Column("occurrence_date", sa.Date(), nullable=True))
    op.add_column(
        "bookings",
        sa.Column(
            "flags", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
    )
    op.add_column("bookings", sa.Column("conflict_reason", sa.String(length=32), nullable=True))
    op.add_column(
        "bookings", sa.Column("detached", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("bookings", sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_bookings_plan_id_plans"), "bookings", "plans", ["plan_id"], ["id"]
    )
    op.create_unique_constraint(
        op.f("uq_bookings_plan_id_occurrence_date"), "bookings", ["plan_id", "occurrence_date"]
    )
    op.alter_column("bookings", "team_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_check_constraint(
        op.f("ck_bookings_team_or_plan"), "bookings", "team_id IS NOT NULL OR plan_id IS NOT NULL"
    )
    op.drop_constraint(op.f("ck_bookings_status"), "bookings", type_="check")
    op.create_check_constraint(
        op.f("ck_bookings_status"),
        "bookings",
        "status IN ('PENDING','CONFIRMED','DONE','CANCELLED','SKIPPED')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_bookings_status"), "bookings", type_="check")
    op.create_check_constraint(
        op.f("ck_bookings_status"),
        "bookings",
        "status IN ('PENDING','CONFIRMED','DONE','CANCELLED')",
    )
    op.drop_constraint(op.f("ck_bookings_team_or_plan"), "bookings", type_="check")
    op.alter_column("bookings", "team_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_constraint(op.f("uq_bookings_plan_id_occurrence_date"), "bookings", type_="unique")
    op.drop_constraint(op.f("fk_bookings_plan_id_plans"), "bookings", type_="foreignkey")
    for column in ("skipped_at", "detached", "conflict_reason", "flags", "occurrence_date"):
        op.drop_column("bookings", column)
    op.drop_column("bookings", "plan_id")
    op.drop_index("ix_plans_status_horizon", table_name="plans")
    op.drop_index(op.f("ix_plans_customer_id"), table_name="plans")
    op.drop_table("plans")
