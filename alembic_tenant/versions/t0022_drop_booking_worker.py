"""Contract: drop ``bookings.worker_id`` (crews are ``booking_workers`` since t0012)

Revision ID: t0022_drop_booking_worker
Revises: t0021_plan_cancel_requests
Create Date: 2026-12-06 07:30:00

Offline-safe (DDL only). The code has neither read nor written the column since crews landed
(t0012 turned every value into a crew of one and gave time entries their worker); this release
stops mapping it, so code from this release serves tenants before and after the drop
(``TENANT_MIN_REVISION`` stays at t0021). A contract step: run it once no process of an older
release (which still maps the column) serves tenants. Downgrade brings the column back, filled
with the first worker of each crew.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "t0022_drop_booking_worker"
down_revision: str | Sequence[str] | None = "t0021_plan_cancel_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_bookings_worker_id_workers"), "bookings", type_="foreignkey")
    op.drop_index(op.f("ix_bookings_worker_id"), table_name="bookings")
    op.drop_column("bookings", "worker_id")


def downgrade() -> None:
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
