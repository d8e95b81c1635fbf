"""Factories for staff-made bookings: a customer with a property, the booking itself."""

from __future__ import annotations

import uuid

from tests.bookings.conftest import at


def make_customer(client, tenant, **body) -> dict:
    body = {
        "name": "Robin Phone-in",
        "phone": f"+1 780 555 {uuid.uuid4().int % 10_000:04d}",
        **body,
    }
    resp = client.post(tenant.url("/admin/customers"), json=body, headers=tenant.headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def make_property(client, tenant, customer_id: int, **body) -> dict:
    body = {"address": "10230 Jasper Ave", "postal_code": "T5J 1A1", **body}
    resp = client.post(
        tenant.url(f"/admin/customers/{customer_id}/properties"),
        json=body,
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def customer_with_property(client, tenant, home=None) -> tuple[dict, dict]:
    customer = make_customer(client, tenant)
    prop = make_property(client, tenant, customer["id"], home=home or {"beds": 2, "baths": 1})
    return customer, prop


def staff_book(client, tenant, customer, prop, day, hhmm="09:00", key=None, **extra):
    body = {
        "customer_id": customer["id"],
        "property_id": prop["id"],
        "starts_at": at(day, hhmm),
        **extra,
    }
    return client.post(
        tenant.url("/admin/bookings"),
        json=body,
        headers={**tenant.headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def on_pro_plan(rt, tenant) -> None:
    """Move the tenant to the Pro plan (50 workers), as a paid upgrade would."""
    from sqlalchemy import text

    with rt.owner_engine.begin() as conn:
        conn.execute(
            text("UPDATE public.tenants SET plan_code = 'pro' WHERE id = :id"), {"id": tenant.id}
        )
    rt.tenants.bump(tenant.id)


def schema_diffs(rt, tenant, tables: set[str]) -> list:
    """What Alembic's autogenerate finds between the models and the tenant's migrated schema,
    for ``tables`` only (empty: the migrations create exactly what the models declare)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import tenantapp.models  # noqa: F401 - the full metadata
    from shared.db import TenantBase
    from shared.tenancy import quoted_schema

    ref = rt.tenants.by_id(tenant.id)
    with rt.owner_engine.connect() as conn:
        conn.exec_driver_sql(f"SET search_path TO {quoted_schema(ref.schema_name)}")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, TenantBase.metadata)
        conn.rollback()

    def on(diff) -> bool:
        op = diff[0] if isinstance(diff, list) else diff
        return any(
            getattr(item, "name", None) in tables
            or getattr(getattr(item, "table", None), "name", None) in tables
            or (isinstance(item, str) and item in tables)
            for item in op[1:]
        )

    return [d for d in diffs if on(d)]
