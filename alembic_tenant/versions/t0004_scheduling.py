"""tenant: working hours and blackouts

Revision ID: t0004_scheduling
Revises: t0002_pricing
"""

import sqlalchemy as sa

from alembic import op

revision = "t0004_scheduling"
down_revision = "t0002_pricing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_hours",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("day_of_week", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "day_of_week BETWEEN 0 AND 6", name=op.f("ck_working_hours_day_of_week")
        ),
        sa.CheckConstraint("start_time < end_time", name=op.f("ck_working_hours_window")),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_working_hours_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_hours")),
        sa.UniqueConstraint(
            "team_id", "day_of_week", name=op.f("uq_working_hours_team_id_day_of_week")
        ),
    )
    op.create_table(
        "blackouts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_blackouts_period")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_blackouts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blackouts")),
    )
    op.create_index("ix_blackouts_period", "blackouts", ["starts_at", "ends_at"])


def downgrade() -> None:
    op.drop_index("ix_blackouts_period", table_name="blackouts")
    op.drop_table("blackouts")
    op.drop_table("working_hours")
