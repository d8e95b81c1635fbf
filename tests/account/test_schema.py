"""t0023_client_accounts: the models of the account tables equal the migrated tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import TenantBase
from shared.tenancy import quoted_schema

TABLES = {"client_login_links", "client_sessions"}


def _table(diff) -> str | None:
    op = diff[0] if isinstance(diff, list) else diff
    for item in op[1:]:
        found = getattr(item, "table", None)
        if found is not None:
            return found.name
        if getattr(item, "name", None) in TABLES:
            return item.name
        if isinstance(item, str) and item in TABLES:
            return item
    return None


def test_models_match_the_migrated_tables(rt, tenant):
    import tenantapp.models  # noqa: F401 - the full metadata

    ref = rt.tenants.by_id(tenant.id)
    with rt.owner_engine.connect() as conn:
        conn.exec_driver_sql(f"SET search_path TO {quoted_schema(ref.schema_name)}")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, TenantBase.metadata)
        tables = {
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (ref.schema_name,),
            )
        }
        conn.rollback()
    assert tables >= TABLES
    assert [d for d in diffs if _table(d) in TABLES] == []
