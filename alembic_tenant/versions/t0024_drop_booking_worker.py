"""Contract: drop ``bookings.worker_id`` (crews are ``booking_workers`` since t0012); index
invoice numbers and totals for the global search; plans record a customer's cancel request

Revision ID: t0024_drop_booking_worker
Revises: t0019_sms
Create Date: 2026-12-06 07:30:00

Offline-safe (DDL only). The code has neither read nor written the column since crews landed
(t0012 turned every value into a crew of one and gave time entries their worker); this release
stops mapping it, so code from this release serves tenants before and after the drop
(``TENANT_MIN_REVISION`` stays). A contract step: run it once no process of an older release
(which still maps the column) serves tenants. Downgrade brings the column back, filled with the
first worker of each crew.

Plans (SPEC §5.10, "cancelling the plan sends the tenant a request"): ``plans.cancel_requested_at``
and ``plans.cancel_request_reason`` (nullable).

Search (SPEC §5.9, invoices by number and amount): a GIN trigram index on ``invoices.number``
(``extensions.gin_trgm_ops``, like t0017's) and a b-tree on ``(total_cents, id)``. Search speed
(p95 ≤ 50 ms with 50 000 customers): postal codes get a b-tree prefix index in place of t0017's
trigram one; customers' phones get b-tree prefix and tail (``reverse``) indexes.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0024_drop_booking_worker"
down_revision: str | Sequence[str] | None = "t0019_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_bookings_worker_id_workers"), "bookings", type_="foreignkey")
    op.drop_index(op.f("ix_bookings_worker_id"), table_name="bookings")
    op.drop_column("bookings", "worker_id")
    op.execute(
        "CREATE INDEX ix_invoices_number_trgm ON invoices USING gin (number extensions.gin_trgm_ops)"
    )
    op.create_index("ix_invoices_total", "invoices", ["total_cents", "id"])
    op.drop_index("ix_properties_postal_trgm", table_name="properties")
    op.execute(
        "CREATE INDEX ix_properties_postal_prefix ON properties"
        " ((upper(replace(postal_code, ' ', ''))) text_pattern_ops)"
    )
    op.execute("CREATE INDEX ix_customers_phone_prefix ON customers (phone text_pattern_ops)")
    op.execute(
        "CREATE INDEX ix_customers_phone_tail ON customers ((reverse(phone)) text_pattern_ops)"
    )
    op.add_column(
        "plans", sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("plans", sa.Column("cancel_request_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    op.drop_column("plans", "cancel_request_reason")
    op.drop_column("plans", "cancel_requested_at")
    op.drop_index("ix_customers_phone_tail", table_name="customers")
    op.drop_index("ix_customers_phone_prefix", table_name="customers")
    op.drop_index("ix_properties_postal_prefix", table_name="properties")
    op.execute(
        "CREATE INDEX ix_properties_postal_trgm ON properties"
        " USING gin ((upper(replace(postal_code, ' ', ''))) extensions.gin_trgm_ops)"
    )
    op.drop_index("ix_invoices_total", table_name="invoices")
    op.drop_index("ix_invoices_number_trgm", table_name="invoices")
    op.add_column("bookings", sa.Column("worker_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_bookings_worker_id"), "bookings", ["worker_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_bookings_worker_id_workers"), "bookings", "workers", ["worker_id"], ["id"]
    )
    op.execute(
        "UPDATE bookings SET worker_id = first.worker_id FROM ("
        " SELECT DISTINCT ON (booking_id) booking_id, worker_id FROM booking_workers"
        " ORDER BY booking_id, created_at, worker_id) AS first"
        " WHERE first.booking_id = bookings.id"
    )
