"""cp0011 creates exactly what the console's models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import CPBase

TABLES = {"ops_snapshots", "ops_series", "ops_audit"}
INDEX = "ix_tenants_created_at_id"


def _table_of(diff) -> str | None:
    op = diff[0] if isinstance(diff, list) else diff
    for item in op[1:]:
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if getattr(item, "name", None) in TABLES and op[0].endswith("table"):
            return item.name
    return None


def test_migration_matches_models(rt):
    import controlplane.models  # noqa: F401 - completes CPBase.metadata

    with rt.owner_engine.connect() as conn:
        # Only the control plane's schema: reflecting every tenant schema of a busy test database
        # took minutes (alembic/env.py filters the same way).
        opts = {
            "compare_type": True,
            "include_schemas": True,
            "include_name": lambda name, type_, parent: (
                type_ != "schema" or name in (None, "public")
            ),
        }
        ctx = MigrationContext.configure(conn, opts=opts)
        diffs = compare_metadata(ctx, CPBase.metadata)
    mine = [d for d in diffs if _table_of(d) in TABLES or INDEX in repr(d)]
    assert mine == []
    assert not [d for d in diffs if d[0] == "add_table" and d[1].name in TABLES]
