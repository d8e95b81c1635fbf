"""fleet migration runs and per-schema results

Revision ID: cp0003_fleet
Revises: cp0004_messaging
Create Date: 2026-11-28 17:10:00.423445

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cp0003_fleet"
down_revision: str | Sequence[str] | None = "cp0004_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "status IN ('running','succeeded','failed','abandoned')"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "fleet_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("target_revision", sa.String(length=64), nullable=False),
        sa.Column("tenant_slug", sa.String(length=40), nullable=True),
        sa.Column("parallel", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("at_head", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_fleet_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_runs")),
        schema="public",
    )
    op.create_table(
        "fleet_results",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("schema_name", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("from_revision", sa.String(length=64), nullable=True),
        sa.Column("to_revision", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('tenant','pool')", name=op.f("ck_fleet_results_kind")),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_fleet_results_status")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["public.fleet_runs.id"],
            name=op.f("fk_fleet_results_run_id_fleet_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_fleet_results_tenant_id_tenants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_results")),
        schema="public",
    )
    op.create_index(
        op.f("ix_fleet_results_run_id"), "fleet_results", ["run_id"], unique=False, schema="public"
    )
    op.create_index(
        "ix_fleet_results_schema_name_id",
        "fleet_results",
        ["schema_name", "id"],
        unique=False,
        schema="public",
    )
    op.create_index(
        op.f("ix_fleet_results_tenant_id"),
        "fleet_results",
        ["tenant_id"],
        unique=False,
        schema="public",
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("fleet_results", schema="public")
    op.drop_table("fleet_runs", schema="public")
