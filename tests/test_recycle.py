"""tests/recycle.py: what a test leaves goes back to the pool only when it is exactly head."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.recycle import recycle_since
from tests.support import signup

pytestmark = pytest.mark.fresh_schemas  # these tests call the recycler themselves


def _now(runtime):
    with runtime.owner_engine.connect() as conn:
        return conn.scalar(text("SELECT clock_timestamp()"))


def _schema(runtime, tenant_id):
    with runtime.owner_engine.connect() as conn:
        return conn.scalar(
            text("SELECT schema_name FROM public.tenants WHERE id = :id"), {"id": tenant_id}
        )


def _unclaimed(runtime, schema) -> bool:
    with runtime.owner_engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM public.tenant_pool "
                    "WHERE schema_name = :s AND claimed_at IS NULL"
                ),
                {"s": schema},
            )
        )


def test_a_used_schema_comes_back_empty_and_the_next_signup_takes_it(empty_pool, client, runtime):
    since = _now(runtime)
    first = signup(client)
    schema = _schema(runtime, first.id)
    created = client.post(
        first.url("/admin/customers"),
        json={"name": "Left Behind", "email": "left@example.com"},
        headers=first.headers,
    )
    assert created.status_code == 201, created.get_json()
    assert recycle_since(runtime, since) == 1
    assert _schema(runtime, first.id) is None  # the tenant's rows are gone
    assert _unclaimed(runtime, schema)

    second = signup(client)
    assert _schema(runtime, second.id) == schema  # the warm path took it
    listed = client.get(second.url("/admin/customers"), headers=second.headers).get_json()
    assert listed["items"] == []
    again = client.post(
        second.url("/admin/customers"),
        json={"name": "First Again", "email": "first@example.com"},
        headers=second.headers,
    )
    assert again.get_json()["id"] == 1  # sequences start over


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE {s}.customers ADD COLUMN extra int",
        "ALTER TABLE {s}.customers ALTER COLUMN notes SET DEFAULT 'x'",
        "CREATE INDEX ix_extra ON {s}.customers (name)",
        "ALTER TABLE {s}.customers DROP CONSTRAINT IF EXISTS ck_customers_extra, "
        "ADD CONSTRAINT ck_customers_extra CHECK (id > 0)",
        "REVOKE SELECT ON {s}.customers FROM PUBLIC, cleanplane_app",
        "UPDATE {s}.alembic_version SET version_num = 't0001'",
    ],
)
def test_a_schema_a_test_changed_is_kept_as_it_is(empty_pool, client, runtime, change):
    since = _now(runtime)
    tenant = signup(client)
    schema = _schema(runtime, tenant.id)
    with runtime.owner_engine.begin() as conn:
        conn.exec_driver_sql(change.format(s=f'"{schema}"'))
    assert recycle_since(runtime, since) == 0
    assert _schema(runtime, tenant.id) == schema
    assert not _unclaimed(runtime, schema)
