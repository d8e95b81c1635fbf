"""The t0020 migration creates exactly what the payment models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import TenantBase
from shared.tenancy import quoted_schema

TABLES = {
    "invoice_checkouts",
    "customer_cards",
    "invoice_charges",
    "invoice_overpayments",
    "invoices",
}


def _tables_of(diff) -> set[str]:
    ops = diff if isinstance(diff, list) else [diff]
    names = set()
    for op in ops:
        for item in op[1:]:
            table = getattr(item, "table", None)
            if table is not None:
                names.add(table.name)
            elif isinstance(item, str):
                names.add(item)
            elif getattr(item, "name", None):
                names.add(item.name)
    return names


def test_payment_models_match_the_migrated_schema(rt, tenant):
    import tenantapp.models  # noqa: F401 - the full metadata

    ref = rt.tenants.by_id(tenant.id)
    with rt.owner_engine.connect() as conn:
        conn.exec_driver_sql(f"SET search_path TO {quoted_schema(ref.schema_name)}")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, TenantBase.metadata)
        conn.rollback()
    mine = [d for d in diffs if _tables_of(d) & TABLES]
    assert mine == []
