"""t0022 drops ``bookings.worker_id`` (a contract step: crews live in ``booking_workers`` since
t0012): on a copy of a tenant at t0021 the bookings and their crews survive, the column, its
index and its foreign key are gone, and the booking and invoice models (the search indexes of
invoices) match the migrated tables."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import TenantBase
from shared.migrations import upgrade_tenant
from shared.tenancy import quoted_schema
from tests.customers.test_migration_t0012 import _booking, _sql

BEFORE = "t0021_plan_cancel_requests"


@pytest.fixture()
def schema_before(rt):
    schema = f"t_{uuid.uuid4().hex[:24]}"
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {quoted_schema(schema)}")
        upgrade_tenant(conn, schema, BEFORE)
    yield schema
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {quoted_schema(schema)} CASCADE")


def _columns(conn, schema: str) -> set[str]:
    rows = _sql(
        conn,
        schema,
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = :s AND table_name = 'bookings'",
        s=schema,
    )
    return {r[0] for r in rows}


def test_t0022_drops_the_column_and_keeps_bookings_and_crews(rt, schema_before):
    s = schema_before
    with rt.owner_engine.begin() as conn:
        assert "worker_id" in _columns(conn, s)
        customer = _sql(
            conn,
            s,
            "INSERT INTO customers (name, phone) VALUES ('Ann', '+17805550100') RETURNING id",
        ).scalar_one()
        team = _sql(conn, s, "INSERT INTO teams (name) VALUES ('A') RETURNING id").scalar_one()
        worker = _sql(
            conn, s, "INSERT INTO workers (name, email) VALUES ('W', 'w@x.io') RETURNING id"
        ).scalar_one()
        booking = _booking(conn, s, None, customer, team, worker, 7)
        _sql(
            conn,
            s,
            "INSERT INTO booking_workers (booking_id, worker_id) VALUES (:b, :w)",
            b=booking,
            w=worker,
        )

    with rt.owner_engine.begin() as conn:
        upgrade_tenant(conn, s, "t0022_drop_booking_worker")

    with rt.owner_engine.begin() as conn:
        assert "worker_id" not in _columns(conn, s)
        indexes = _sql(
            conn, s, "SELECT indexname FROM pg_indexes WHERE schemaname = :s", s=s
        ).scalars()
        assert "ix_bookings_worker_id" not in set(indexes)
        assert _sql(conn, s, "SELECT id, team_id FROM bookings").all() == [(booking, team)]
        crew = _sql(conn, s, "SELECT booking_id, worker_id FROM booking_workers").all()
        assert crew == [(booking, worker)]


def test_the_booking_and_invoice_models_match_the_migrated_tables(rt, tenant):
    import tenantapp.models  # noqa: F401 - the full metadata

    ref = rt.tenants.by_id(tenant.id)
    with rt.owner_engine.connect() as conn:
        conn.exec_driver_sql(f"SET search_path TO {quoted_schema(ref.schema_name)}")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, TenantBase.metadata)
        conn.rollback()
        columns = {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns"
                f" WHERE table_schema = '{ref.schema_name}' AND table_name = 'bookings'"
            )
        }

    tables = {"bookings", "invoices", "plans"}

    def on_mine(diff) -> bool:
        op = diff[0] if isinstance(diff, list) else diff
        return any(
            getattr(item, "name", None) in tables
            or getattr(getattr(item, "table", None), "name", None) in tables
            or (isinstance(item, str) and item in tables)
            for item in op[1:]
        )

    assert [d for d in diffs if on_mine(d)] == []
    assert "worker_id" not in columns and "customer_id" in columns
