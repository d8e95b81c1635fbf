"""ops_snapshots + ops_series (hourly console time series, kept 400 days) + ops_audit (SPEC §4.5)

Revision ID: cp0011_ops_snapshots
Revises: cp0010_usage_periods
Create Date: 2026-12-06 04:10:00

One ``ops_snapshots`` row per UTC hour the snapshot job has taken; ``ops_series`` holds the points
(series, label, hour) → value the console's charts read. ``ix_tenants_created_at_id`` serves the
console's tenants table (newest first, keyset pages) without a sort over the whole fleet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "cp0011_ops_snapshots"
down_revision: str | Sequence[str] | None = "cp0010_usage_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRGM = (("tenants", "slug"), ("tenants", "company_name"), ("users", "email"))


def upgrade() -> None:
    op.create_table(
        "ops_snapshots",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "taken_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("duration_ms", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("hour", name="pk_ops_snapshots"),
        schema="public",
    )
    op.create_table(
        "ops_series",
        sa.Column("series", sa.String(32), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(64), nullable=False, server_default=""),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series", "hour", "label", name="pk_ops_series"),
        schema="public",
    )
    op.create_index("ix_ops_series_hour", "ops_series", ["hour"], schema="public")
    op.create_table(
        "ops_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ops_audit"),
        schema="public",
    )
    op.create_index("ix_ops_audit_tenant_id", "ops_audit", ["tenant_id"], schema="public")
    op.create_index("ix_tenants_created_at_id", "tenants", ["created_at", "id"], schema="public")
    # The console's search (ILIKE '%q%' on slug, company name and the owner's e-mail) through
    # trigram indexes, when the server has pg_trgm (a contrib extension, trusted since PG 13) and
    # we may create it. Without it the search still works, by scanning (fine at 10 000 tenants).
    bind = op.get_bind()
    available = bind.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') OR ("
        " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
        " AND has_database_privilege(current_database(), 'CREATE'))"
    ).scalar()
    if available:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA extensions")
        for table, column in TRGM:
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON public.{table} "
                f"USING gin ({column} extensions.gin_trgm_ops)"
            )


def downgrade() -> None:
    for table, column in TRGM:
        op.execute(f"DROP INDEX IF EXISTS public.ix_{table}_{column}_trgm")
    op.drop_index("ix_tenants_created_at_id", table_name="tenants", schema="public")
    op.drop_index("ix_ops_audit_tenant_id", table_name="ops_audit", schema="public")
    op.drop_table("ops_audit", schema="public")
    op.drop_index("ix_ops_series_hour", table_name="ops_series", schema="public")
    op.drop_table("ops_series", schema="public")
    op.drop_table("ops_snapshots", schema="public")
