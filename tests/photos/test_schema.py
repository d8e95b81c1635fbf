"""The t0008 migration creates exactly what the photo models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import TenantBase
from shared.tenancy import quoted_schema

TABLES = {"photos", "storage_tombstones"}


def _table_of(diff) -> str | None:
    op = diff[0] if isinstance(diff, list) else diff
    for item in op[1:]:
        name = getattr(item, "name", None) if not isinstance(item, str) else None
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if name in TABLES:
            return name
        if isinstance(item, str) and item in TABLES:
            return item
    return None


def test_photo_models_match_the_migrated_schema(rt, tenant):
    import tenantapp.models  # noqa: F401 - the full metadata

    ref = rt.tenants.by_id(tenant.id)
    with rt.owner_engine.connect() as conn:
        conn.exec_driver_sql(f"SET search_path TO {quoted_schema(ref.schema_name)}")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, TenantBase.metadata)
        conn.rollback()
    mine = [d for d in diffs if _table_of(d) in TABLES]
    assert mine == []
    # and the tables are really there (the comparison would list them as missing otherwise)
    assert not [d for d in diffs if d[0] == "add_table" and d[1].name in TABLES]
