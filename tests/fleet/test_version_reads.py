"""Tenant versions are read in batches (SPEC §12: one query over every schema hits
``max_locks_per_transaction``)."""

from __future__ import annotations

from sqlalchemy import event

from shared.migrations import read_tenant_versions, tenant_head
from tests.fleet.conftest import make_tenants


def _count_union_queries(rt, schemas, batch):
    queries = []

    def count(conn, cursor, statement, *args):
        if (
            "alembic_version" in statement
            and "UNION ALL" in statement
            or (statement.startswith("SELECT '") and "alembic_version" in statement)
        ):
            queries.append(statement.count("alembic_version"))

    event.listen(rt.owner_engine, "before_cursor_execute", count)
    try:
        with rt.owner_engine.connect() as conn:
            versions = read_tenant_versions(conn, schemas, batch=batch)
    finally:
        event.remove(rt.owner_engine, "before_cursor_execute", count)
    return versions, queries


def test_versions_are_read_in_batches(fleet_rt):
    schemas = [t["schema"] for t in make_tenants(fleet_rt, 5)]
    versions, queries = _count_union_queries(fleet_rt, schemas, batch=2)
    assert versions == dict.fromkeys(schemas, tenant_head())
    assert queries == [2, 2, 1]
    _, queries = _count_union_queries(fleet_rt, schemas, batch=5)  # boundary: one full batch
    assert queries == [5]
    _, queries = _count_union_queries(fleet_rt, schemas, batch=4)
    assert queries == [4, 1]


def test_schemas_without_a_version_table_are_left_out(fleet_rt):
    (t,) = make_tenants(fleet_rt, 1)
    with fleet_rt.owner_engine.begin() as conn:
        conn.exec_driver_sql('CREATE SCHEMA "t_00000000000000000000beef"')
    with fleet_rt.owner_engine.connect() as conn:
        versions = read_tenant_versions(conn, [t["schema"], "t_00000000000000000000beef"])
    assert versions == {t["schema"]: tenant_head()}
