"""office tools: trigram search indexes, workers' pay settings, customer imports (issue #22)

Revision ID: t0017_search
Revises: t0014_invoices
Create Date: 2026-12-06 04:40:00

The trigram operator class lives in schema ``extensions`` (``pg_trgm`` is created there once per
database, and on every shard, by ``shared.dbsetup`` — never inside a tenant schema), so every
index names it qualified: ``extensions.gin_trgm_ops``. GIN trigram indexes serve ``ILIKE
'%…%'``, the word-prefix regex and the ``%`` similarity operator the search uses.
Expand only; offline-safe (no reflection, no data-dependent branches).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "t0017_search"
down_revision: str | Sequence[str] | None = "t0014_invoices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index name, table, indexed expression)
TRIGRAM_INDEXES = (
    ("ix_customers_name_trgm", "customers", "name"),
    ("ix_customers_email_trgm", "customers", "email"),
    ("ix_customers_phone_trgm", "customers", "phone"),
    ("ix_properties_address_trgm", "properties", "address"),
    ("ix_properties_postal_trgm", "properties", "upper(replace(postal_code, ' ', ''))"),
    ("ix_leads_name_trgm", "leads", "name"),
    ("ix_leads_email_trgm", "leads", "email"),
    ("ix_leads_phone_trgm", "leads", "phone"),
    ("ix_leads_address_trgm", "leads", "address"),
    ("ix_workers_name_trgm", "workers", "name"),
    ("ix_workers_email_trgm", "workers", "email"),
)

PREFIX_INDEXES = (
    ("ix_bookings_id_text", "bookings", "CAST(id AS TEXT)"),
    ("ix_customers_name_prefix", "customers", "lower(name)"),
    ("ix_customers_email_prefix", "customers", "lower(email)"),
    ("ix_leads_name_prefix", "leads", "lower(name)"),
    ("ix_leads_email_prefix", "leads", "lower(email)"),
)


def upgrade() -> None:
    for name, table, expression in TRIGRAM_INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin (({expression}) extensions.gin_trgm_ops)"
        )
    # Booking ids are searched by prefix ("#1234" finds 12345), and one- or two-character
    # queries by the start of names and e-mails (too short for trigrams): text_pattern_ops.
    for name, table, expression in PREFIX_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} (({expression}) text_pattern_ops)")
    _worker_pay()
    _imports()


def _worker_pay() -> None:
    op.add_column(
        "workers", sa.Column("pay_type", sa.String(16), server_default="hourly", nullable=False)
    )
    op.add_column(
        "workers", sa.Column("pay_flat_cents", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "workers",
        sa.Column("pay_percent", sa.Numeric(5, 2), server_default="0", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_workers_pay_type"), "workers", "pay_type IN ('hourly','flat','percent')"
    )
    op.create_check_constraint(op.f("ck_workers_pay_flat"), "workers", "pay_flat_cents >= 0")
    op.create_check_constraint(
        op.f("ck_workers_pay_percent"), "workers", "pay_percent >= 0 AND pay_percent <= 100"
    )


def _imports() -> None:
    op.create_table(
        "customer_imports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("size_bytes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("encoding", sa.String(16), nullable=True),
        sa.Column("rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("merged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "errors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued','running','done','failed')",
            name=op.f("ck_customer_imports_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_imports")),
    )


def downgrade() -> None:
    op.drop_table("customer_imports")
    for name in ("pay_percent", "pay_flat", "pay_type"):
        op.drop_constraint(op.f(f"ck_workers_{name}"), "workers", type_="check")
    for column in ("pay_percent", "pay_flat_cents", "pay_type"):
        op.drop_column("workers", column)
    for name, table, _expression in reversed(PREFIX_INDEXES):
        op.drop_index(name, table_name=table)
    for name, table, _expression in reversed(TRIGRAM_INDEXES):
        op.drop_index(name, table_name=table)
