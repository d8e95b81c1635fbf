"""usage_counters: one row per (tenant, metric, period) (SPEC §4.4, issue #17)

Revision ID: cp0010_usage_periods
Revises: cp0009_security
Create Date: 2026-12-06 01:40:00

A booking counts in the period of its start, so a tenant can have counters for this month and
later ones at once: the period joins the primary key. Gauges (workers, storage) keep one row,
filed under 1970-01-01. Periodic rows keep the period they were last counted in (older ones are
history: usage reads only the current period).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cp0010_usage_periods"
down_revision: str | Sequence[str] | None = "cp0009_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GAUGES = "('active_workers', 'storage_bytes')"


def upgrade() -> None:
    op.execute(
        f"UPDATE public.usage_counters SET period_start = DATE '1970-01-01' WHERE metric IN {GAUGES}"
    )
    op.drop_constraint("pk_usage_counters", "usage_counters", schema="public", type_="primary")
    op.create_primary_key(
        "pk_usage_counters",
        "usage_counters",
        ["tenant_id", "metric", "period_start"],
        schema="public",
    )


def downgrade() -> None:
    # Keep each tenant's newest row per metric (the rolling counter of before).
    op.execute(
        "DELETE FROM public.usage_counters uc USING public.usage_counters newer "
        "WHERE newer.tenant_id = uc.tenant_id AND newer.metric = uc.metric "
        "AND newer.period_start > uc.period_start"
    )
    op.drop_constraint("pk_usage_counters", "usage_counters", schema="public", type_="primary")
    op.create_primary_key(
        "pk_usage_counters", "usage_counters", ["tenant_id", "metric"], schema="public"
    )
