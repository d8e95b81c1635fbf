"""Search speed: postal codes by a b-tree prefix index in place of t0017's trigram one; customers'
phones by b-tree prefix and tail (``reverse``) indexes

Revision ID: t0024_search_speed
Revises: t0023_client_accounts
Create Date: 2026-12-06 08:00:00

SPEC §10: ``GET /admin/search`` p95 ≤ 50 ms with 50 000 customers. The trigram index on postal
codes scanned long posting lists for every query; postal-like queries now use a prefix index, and
phone-like queries equality, prefix and tail indexes on ``customers.phone``. Indexes only: code of
this release works on either side of it (``TENANT_MIN_REVISION`` unchanged), only slower before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "t0024_search_speed"
down_revision: str | Sequence[str] | None = "t0023_client_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_properties_postal_trgm", table_name="properties")
    op.execute(
        "CREATE INDEX ix_properties_postal_prefix ON properties"
        " ((upper(replace(postal_code, ' ', ''))) text_pattern_ops)"
    )
    op.execute("CREATE INDEX ix_customers_phone_prefix ON customers (phone text_pattern_ops)")
    op.execute(
        "CREATE INDEX ix_customers_phone_tail ON customers ((reverse(phone)) text_pattern_ops)"
    )


def downgrade() -> None:
    op.drop_index("ix_customers_phone_tail", table_name="customers")
    op.drop_index("ix_customers_phone_prefix", table_name="customers")
    op.drop_index("ix_properties_postal_prefix", table_name="properties")
    op.execute(
        "CREATE INDEX ix_properties_postal_trgm ON properties"
        " USING gin ((upper(replace(postal_code, ' ', ''))) extensions.gin_trgm_ops)"
    )
