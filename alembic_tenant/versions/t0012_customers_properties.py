"""customers' details, properties, staff-booking columns, crews and time per worker (issue #21)

Revision ID: t0012_customers_properties
Revises: t0011_lead_proof
Create Date: 2026-12-06 04:10:00

Expand only: nothing is dropped. ``bookings.worker_id`` stays (unused by the code from this
revision on; crews live in ``booking_workers``) until a later contract revision.

The data part is offline-safe (SPEC §2.6: no reflection, no data-dependent branches), one
statement per step:
1. customers' e-mails lower-cased (intake always did; the CHECK now holds it);
2. one ``INSERT … SELECT`` turns leads' addresses into properties: one property per customer and
   address (trimmed, case-folded) and postal code (spaces dropped, upper-cased), its details from
   the newest lead at that address, ``home`` = that lead's estimate request; a lead without an
   address gives its customer one property with no address, so every lead gets one;
3. leads are linked to their property by the same key, bookings to their lead's property (and get
   their lead's estimate and request, so a booking is priced on its own row);
4. single-worker assignments become crews of one; time entries get the worker of their booking.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "t0012_customers_properties"
down_revision: str | Sequence[str] | None = "t0011_lead_proof"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS_KEY = "lower(btrim(coalesce({t}.address, '')))"
POSTAL_KEY = "upper(replace(coalesce({t}.postal_code, ''), ' ', ''))"


def _now_column(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    _settings()
    _customers()
    _properties()
    _bookings()
    _crews()
    _time_entries()
    _data()


def _settings() -> None:
    # SPEC §5.1: the default region for phone numbers (ISO 3166-1 alpha-2).
    op.add_column(
        "settings", sa.Column("country", sa.String(2), server_default="CA", nullable=False)
    )
    op.create_check_constraint(op.f("ck_settings_country"), "settings", "country ~ '^[A-Z]{2}$'")


def _customers() -> None:
    op.add_column("customers", sa.Column("notes", sa.Text(), nullable=True))
    op.add_column(
        "customers",
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column(
        "customers", sa.Column("sms_opt_in", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("customers", sa.Column("sms_opt_in_source", sa.String(32), nullable=True))
    op.add_column(
        "customers", sa.Column("sms_opt_in_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "customers", sa.Column("auto_charge", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("customers", _now_column("updated_at"))
    op.execute(
        "UPDATE customers SET email = lower(btrim(email)) "
        "WHERE email IS NOT NULL AND email <> lower(btrim(email))"
    )
    op.create_check_constraint(
        op.f("ck_customers_email_lower"), "customers", "email = lower(email)"
    )
    op.create_index(
        "ix_customers_tags", "customers", ["tags"], unique=False, postgresql_using="gin"
    )


def _properties() -> None:
    op.create_table(
        "properties",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("postal_code", sa.String(16), nullable=True),
        sa.Column("access_notes", sa.String(500), nullable=True),
        sa.Column("key_notes", sa.String(500), nullable=True),
        sa.Column("parking", sa.String(500), nullable=True),
        sa.Column("pets", sa.String(500), nullable=True),
        sa.Column("allergies", sa.String(500), nullable=True),
        sa.Column("home", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        _now_column("created_at"),
        _now_column("updated_at"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_properties_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_properties")),
    )
    op.create_index(op.f("ix_properties_customer_id"), "properties", ["customer_id"])
    for table in ("leads", "bookings"):
        op.add_column(table, sa.Column("property_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_property_id_properties"),
            table,
            "properties",
            ["property_id"],
            ["id"],
        )
        op.create_index(op.f(f"ix_{table}_property_id"), table, ["property_id"])


def _bookings() -> None:
    # Staff-made bookings (and plan visits) have no lead; their estimate lives on the booking.
    op.alter_column("bookings", "lead_id", existing_type=sa.BigInteger(), nullable=True)
    op.add_column(
        "bookings",
        sa.Column("estimate_request", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "bookings", sa.Column("estimate", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("bookings", sa.Column("price_override_cents", sa.Integer(), nullable=True))
    op.add_column("bookings", sa.Column("price_override_reason", sa.String(500), nullable=True))
    op.create_check_constraint(
        op.f("ck_bookings_price_override"),
        "bookings",
        "price_override_cents IS NULL OR (price_override_cents >= 0 "
        "AND price_override_reason IS NOT NULL)",
    )


def _crews() -> None:
    op.create_table(
        "booking_workers",
        sa.Column("booking_id", sa.BigInteger(), nullable=False),
        sa.Column("worker_id", sa.BigInteger(), nullable=False),
        _now_column("created_at"),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_workers_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_booking_workers_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("booking_id", "worker_id", name=op.f("pk_booking_workers")),
    )
    op.create_index(op.f("ix_booking_workers_worker_id"), "booking_workers", ["worker_id"])


def _time_entries() -> None:
    # One entry per booking and worker; NULL worker = an entry staff ran before crews existed.
    op.add_column("time_entries", sa.Column("worker_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_time_entries_worker_id_workers"),
        "time_entries",
        "workers",
        ["worker_id"],
        ["id"],
    )
    op.create_index(op.f("ix_time_entries_worker_id"), "time_entries", ["worker_id"])
    op.drop_constraint(op.f("uq_time_entries_booking_id"), "time_entries", type_="unique")
    op.create_index(
        "uq_time_entries_booking_worker",
        "time_entries",
        ["booking_id", "worker_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )


def _data() -> None:
    lead_key = f"{ADDRESS_KEY.format(t='leads')}, {POSTAL_KEY.format(t='leads')}"
    op.execute(
        "INSERT INTO properties (customer_id, address, postal_code, access_notes, parking, pets,"
        " allergies, home, created_at, updated_at) "
        "SELECT customer_id, nullif(btrim(address), ''), nullif(btrim(postal_code), ''),"
        " access_notes, parking, pets, allergies, estimate_request, first_seen, now() "
        "FROM (SELECT DISTINCT ON (customer_id, " + lead_key + ") customer_id, address,"
        " postal_code, access_notes, parking, pets, allergies, estimate_request,"
        " min(created_at) OVER (PARTITION BY customer_id, " + lead_key + ") AS first_seen"
        " FROM leads ORDER BY customer_id, " + lead_key + ", id DESC) AS newest "
        "ORDER BY first_seen, customer_id"
    )
    op.execute(
        "UPDATE leads SET property_id = properties.id FROM properties "
        "WHERE properties.customer_id = leads.customer_id"
        f" AND {ADDRESS_KEY.format(t='properties')} = {ADDRESS_KEY.format(t='leads')}"
        f" AND {POSTAL_KEY.format(t='properties')} = {POSTAL_KEY.format(t='leads')}"
    )
    op.execute(
        "UPDATE bookings SET property_id = leads.property_id,"
        " estimate = leads.estimate, estimate_request = leads.estimate_request "
        "FROM leads WHERE leads.id = bookings.lead_id"
    )
    op.execute(
        "INSERT INTO booking_workers (booking_id, worker_id, created_at) "
        "SELECT id, worker_id, updated_at FROM bookings WHERE worker_id IS NOT NULL"
    )
    op.execute(
        "UPDATE time_entries SET worker_id = bookings.worker_id FROM bookings "
        "WHERE bookings.id = time_entries.booking_id AND bookings.worker_id IS NOT NULL"
    )


def downgrade() -> None:
    """Back to t0011. Fails (as it should) once bookings without a lead or several time entries
    per booking exist: those have no shape in t0011."""
    op.drop_index("uq_time_entries_booking_worker", table_name="time_entries")
    op.create_unique_constraint(op.f("uq_time_entries_booking_id"), "time_entries", ["booking_id"])
    op.drop_index(op.f("ix_time_entries_worker_id"), table_name="time_entries")
    op.drop_constraint(
        op.f("fk_time_entries_worker_id_workers"), "time_entries", type_="foreignkey"
    )
    op.drop_column("time_entries", "worker_id")
    op.drop_index(op.f("ix_booking_workers_worker_id"), table_name="booking_workers")
    op.drop_table("booking_workers")
    op.drop_constraint(op.f("ck_bookings_price_override"), "bookings", type_="check")
    for column in ("price_override_reason", "price_override_cents", "estimate", "estimate_request"):
        op.drop_column("bookings", column)
    op.alter_column("bookings", "lead_id", existing_type=sa.BigInteger(), nullable=False)
    for table in ("bookings", "leads"):
        op.drop_index(op.f(f"ix_{table}_property_id"), table_name=table)
        op.drop_constraint(op.f(f"fk_{table}_property_id_properties"), table, type_="foreignkey")
        op.drop_column(table, "property_id")
    op.drop_index(op.f("ix_properties_customer_id"), table_name="properties")
    op.drop_table("properties")
    op.drop_index("ix_customers_tags", table_name="customers")
    op.drop_constraint(op.f("ck_customers_email_lower"), "customers", type_="check")
    for column in (
        "updated_at",
        "auto_charge",
        "sms_opt_in_at",
        "sms_opt_in_source",
        "sms_opt_in",
        "tags",
        "notes",
    ):
        op.drop_column("customers", column)
    op.drop_constraint(op.f("ck_settings_country"), "settings", type_="check")
    op.drop_column("settings", "country")
