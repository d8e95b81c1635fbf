"""The warm pool: filled at head, claimed with SKIP LOCKED, drained, and used by signup."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import insert, select, text

from controlplane.provisioning.models import PoolSchema
from controlplane.provisioning.pool import (
    claim_pool_schema,
    drain_pool,
    pool_status,
    refill_pool,
    refill_pool_job,
)
from shared.migrations import tenant_head
from shared.models.tenants import Tenant
from shared.runtime import use_runtime
from shared.tenancy import new_schema_name
from tests.provisioning.conftest import tenant_schemas, unclaimed_pool
from tests.support import signup


def _schema_of(rt, tenant_id) -> str:
    with rt.engine.connect() as conn:
        return conn.scalar(select(Tenant.schema_name).where(Tenant.id == tenant_id))


def test_refill_tops_up_to_exactly_the_target(empty_pool):
    rt = empty_pool
    assert refill_pool(rt, 0) == 0
    assert refill_pool(rt, 2) == 2
    assert refill_pool(rt, 2) == 0
    assert refill_pool(rt, 3) == 1
    ready = unclaimed_pool(rt.engine)
    assert len(ready) == 3
    assert ready <= tenant_schemas(rt.engine)
    with rt.engine.connect() as conn:
        revisions = set(conn.scalars(select(PoolSchema.revision)))
        assert revisions == {tenant_head()}
        for schema in ready:  # built at head, without seed rows
            assert conn.scalar(text(f'SELECT count(*) FROM "{schema}".settings')) == 0
            assert conn.scalar(text(f'SELECT count(*) FROM "{schema}".teams')) == 0


def test_concurrent_refills_never_overshoot(empty_pool):
    rt = empty_pool
    with ThreadPoolExecutor(max_workers=3) as workers:
        created = list(workers.map(lambda _: refill_pool(rt, 4), range(3)))
    assert sum(created) == 4
    assert len(unclaimed_pool(rt.engine)) == 4


def test_refill_defaults_to_tenant_pool_size(empty_pool, runtime):
    from shared.runtime import Runtime

    sized = Runtime(runtime.settings.replace(tenant_pool_size=2))
    try:
        with use_runtime(sized):
            assert refill_pool_job() == 2
            assert refill_pool_job() == 0
        assert pool_status(sized).ready == 2
        assert pool_status(sized).target == 2
    finally:
        sized.dispose()


def test_claim_takes_only_schemas_at_head(empty_pool):
    rt = empty_pool
    old = new_schema_name()
    with rt.owner_engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{old}"')
        conn.execute(insert(PoolSchema).values(schema_name=old, revision="t0000_older"))
    with rt.owner_engine.begin() as conn:
        assert claim_pool_schema(conn, tenant_head()) is None
    refill_pool(rt, 1)
    (fresh,) = unclaimed_pool(rt.engine) - {old}
    with rt.owner_engine.begin() as conn:
        assert claim_pool_schema(conn, tenant_head()) == fresh
    assert pool_status(rt).by_revision == {"t0000_older": 1, tenant_head(): 1}
    assert drain_pool(rt) == 2
    assert old not in tenant_schemas(rt.engine)


def test_concurrent_claims_skip_each_others_rows(empty_pool):
    rt = empty_pool
    refill_pool(rt, 2)
    with rt.owner_engine.connect() as first, rt.owner_engine.connect() as second:
        a = claim_pool_schema(first, tenant_head())
        b = claim_pool_schema(second, tenant_head())  # does not wait for ``first``
        assert a and b and a != b
        with rt.owner_engine.connect() as third:
            assert claim_pool_schema(third, tenant_head()) is None  # both locked: pool empty
            third.rollback()
            first.rollback()  # a failed signup releases its schema untouched
            assert claim_pool_schema(third, tenant_head()) == a


def test_signup_claims_a_pool_schema_and_seeds_it(empty_pool, client):
    rt = empty_pool
    refill_pool(rt, 1)
    (pooled,) = unclaimed_pool(rt.engine)
    tenant = signup(client)
    assert _schema_of(rt, tenant.id) == pooled
    assert unclaimed_pool(rt.engine) == set()
    with rt.engine.connect() as conn:
        claimed_at = conn.scalar(
            select(PoolSchema.claimed_at).where(PoolSchema.schema_name == pooled)
        )
        assert claimed_at is not None
    resp = client.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code == 200
    assert resp.get_json()["company_name"] == f"{tenant.slug} Cleaning"
    assert pool_status(rt).claimed >= 1


def test_signup_with_an_empty_pool_takes_the_cold_path(empty_pool, client):
    rt = empty_pool
    before = tenant_schemas(rt.engine)
    tenant = signup(client)
    schema = _schema_of(rt, tenant.id)
    assert tenant_schemas(rt.engine) - before == {schema}
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200


def test_refill_drops_unclaimed_schemas_below_head_but_keeps_unknown_revisions(
    empty_pool, monkeypatch
):
    rt = empty_pool
    below, newer = new_schema_name(), new_schema_name()
    with rt.owner_engine.begin() as conn:
        for schema in (below, newer):
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.execute(insert(PoolSchema).values(schema_name=below, revision="t0000_older"))
        conn.execute(insert(PoolSchema).values(schema_name=newer, revision="t9999_next_deploy"))
    from controlplane.provisioning import pool

    original = pool._stale_revisions
    monkeypatch.setattr(pool, "_stale_revisions", lambda head: [*original(head), "t0000_older"])
    refill_pool(rt, 1)
    schemas = tenant_schemas(rt.engine)
    assert below not in schemas
    assert newer in schemas
    assert pool_status(rt).by_revision == {tenant_head(): 1, "t9999_next_deploy": 1}


def test_drain_drops_unclaimed_schemas_only(empty_pool, client):
    rt = empty_pool
    refill_pool(rt, 3)
    tenant = signup(client)
    claimed = _schema_of(rt, tenant.id)
    unclaimed = unclaimed_pool(rt.engine)
    assert len(unclaimed) == 2
    assert drain_pool(rt) == 2
    schemas = tenant_schemas(rt.engine)
    assert claimed in schemas
    assert not unclaimed & schemas
    assert pool_status(rt).ready == 0


def test_pool_cli_status_fill_and_drain(empty_pool, cli):
    result = cli("tenants", "pool", "fill", "2")
    assert result.exit_code == 0, result.output
    assert "created 2" in result.output
    result = cli("tenants", "pool", "status")
    assert result.exit_code == 0, result.output
    assert f"head: {tenant_head()}" in result.output
    assert "ready at head: 2" in result.output
    result = cli("tenants", "pool", "drain")
    assert result.exit_code == 0, result.output
    assert "dropped 2" in result.output
    assert unclaimed_pool(empty_pool.engine) == set()
    assert cli("tenants", "pool", "fill", "-1").exit_code != 0
