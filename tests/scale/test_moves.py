"""``flask tenants move``: copy, verify, flip under a write freeze, drop the old copy; resumable
after a failure at any step with nothing lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from controlplane import pgtools
from controlplane.shards import move as move_module
from controlplane.shards.models import TenantMove
from shared import freeze
from tests.scale.conftest import schemas, tenant_row
from tests.support import signup


@pytest.fixture()
def busy_tenant(sclient, lead_body):
    """A tenant on ``east`` with a few leads and changed settings."""
    tenant = signup(sclient)
    for i in range(3):
        body = {**lead_body, "email": f"lead{i}@example.com"}
        resp = sclient.post(tenant.url("/leads"), json=body)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    sclient.patch(
        tenant.url("/admin/settings"), json={"company_name": "Moving Co"}, headers=tenant.headers
    )
    return tenant


def _fingerprints(engine, schema):
    with engine.connect() as conn:
        return pgtools.fingerprints(conn, schema)


def _moves(rt, tenant_id):
    with rt.engine.connect() as conn:
        return conn.execute(
            select(TenantMove)
            .where(TenantMove.tenant_id == tenant_id)
            .order_by(TenantMove.started_at)
        ).all()


def _assert_moved(rt, sclient, tenant, schema, before, source="east", target="default"):
    row = tenant_row(rt, tenant.slug)
    assert row.shard == target
    assert schema not in schemas(rt.shard_owner_engine(source))
    assert _fingerprints(rt.shard_owner_engine(target), schema) == before
    assert not freeze.is_frozen(rt.redis, tenant.id)
    leads = sclient.get(tenant.url("/admin/leads"), headers=tenant.headers)
    assert leads.status_code == 200
    assert len(leads.get_json()["items"]) == 3
    settings = sclient.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert settings["company_name"] == "Moving Co"
    # Writes land on the new shard.
    resp = sclient.patch(
        tenant.url("/admin/settings"), json={"company_name": "Moved Co"}, headers=tenant.headers
    )
    assert resp.status_code == 200


def test_move_copies_verifies_flips_and_drops_the_old_copy(
    sharded_runtime, sclient, busy_tenant, cli
):
    rt = sharded_runtime
    row = tenant_row(rt, busy_tenant.slug)
    assert row.shard == "east"
    before = _fingerprints(rt.shard_owner_engine("east"), row.schema_name)
    assert before["leads"]["rows"] == 3
    version = rt.redis.get(f"cp:tenant:{busy_tenant.id}:version")
    out = cli("tenants", "move", busy_tenant.slug, "--to", "default")
    assert out.exit_code == 0, out.output
    assert "east -> default" in out.output
    assert "writes frozen" in out.output
    _assert_moved(rt, sclient, busy_tenant, row.schema_name, before)
    assert rt.redis.get(f"cp:tenant:{busy_tenant.id}:version") != version
    (move,) = _moves(rt, busy_tenant.id)
    assert move.status == "done" and move.step == "drop_source"
    assert move.verified == before


def test_move_to_unknown_shard_or_same_shard_is_refused(sclient, busy_tenant, cli):
    out = cli("tenants", "move", busy_tenant.slug, "--to", "nowhere")
    assert out.exit_code != 0 and "unknown shard" in out.output
    out = cli("tenants", "move", busy_tenant.slug, "--to", "east")
    assert out.exit_code != 0 and "already on shard" in out.output


POINTS = [point for step in move_module.STEPS for point in (step, f"{step}:done")] + ["copy:dumped"]


# make test fails the move at its first and last point; make test-all (the slow drills) at every one.
@pytest.mark.parametrize(
    "point",
    [
        p if p in (POINTS[0], POINTS[-1]) else pytest.param(p, marks=pytest.mark.slow)
        for p in POINTS
    ],
)
def test_failure_at_any_step_resumes_with_nothing_lost(
    sharded_runtime, sclient, busy_tenant, cli, monkeypatch, point
):
    rt = sharded_runtime
    schema = tenant_row(rt, busy_tenant.slug).schema_name
    before = _fingerprints(rt.shard_owner_engine("east"), schema)

    def fail(name):
        if name == point:
            raise RuntimeError(f"injected at {name}")

    monkeypatch.setattr(move_module, "checkpoint", fail)
    out = cli("tenants", "move", busy_tenant.slug, "--to", "default")
    assert out.exit_code != 0
    assert "resume with: flask tenants move" in out.output
    (failed,) = _moves(rt, busy_tenant.id)
    assert failed.status == "failed" and f"injected at {point}" in failed.error
    # Whatever the step, the tenant is readable and its data is whole on the shard it points at.
    row = tenant_row(rt, busy_tenant.slug)
    assert _fingerprints(rt.shard_owner_engine(row.shard), schema) == before
    assert (
        sclient.get(busy_tenant.url("/admin/leads"), headers=busy_tenant.headers).status_code == 200
    )

    monkeypatch.setattr(move_module, "checkpoint", lambda name: None)
    out = cli("tenants", "move", busy_tenant.slug, "--to", "default")
    assert out.exit_code == 0, out.output
    _assert_moved(rt, sclient, busy_tenant, schema, before)
    (done,) = _moves(rt, busy_tenant.id)
    assert done.status == "done" and done.id == failed.id


def test_writes_during_the_freeze_get_503_with_retry_after_and_reads_work(
    sharded_runtime, sclient, busy_tenant, lead_body
):
    rt = sharded_runtime
    freeze.freeze(rt.redis, busy_tenant.id, 30)
    try:
        write = sclient.patch(
            busy_tenant.url("/admin/settings"),
            json={"company_name": "X"},
            headers=busy_tenant.headers,
        )
        assert write.status_code == 503
        assert write.get_json()["code"] == "tenant_moving"
        assert int(write.headers["Retry-After"]) > 0
        assert sclient.post(busy_tenant.url("/leads"), json=lead_body).status_code == 503
        read = sclient.get(busy_tenant.url("/admin/settings"), headers=busy_tenant.headers)
        assert read.status_code == 200
        assert read.get_json()["company_name"] == "Moving Co"
    finally:
        freeze.unfreeze(rt.redis, busy_tenant.id)
    assert sclient.post(busy_tenant.url("/leads"), json=lead_body).status_code == 201


def test_a_write_after_the_copy_is_carried_over_by_verify(
    sharded_runtime, sclient, busy_tenant, lead_body, monkeypatch
):
    """A lead written between the copy and the freeze is not lost: verify sees the source changed
    and copies again under the lock."""
    rt = sharded_runtime
    schema = tenant_row(rt, busy_tenant.slug).schema_name

    def write_after_copy(name):
        if name == "copy:done":
            resp = sclient.post(
                busy_tenant.url("/leads"), json={**lead_body, "email": "late@example.com"}
            )
            assert resp.status_code == 201

    monkeypatch.setattr(move_module, "checkpoint", write_after_copy)
    move_module.move_tenant(rt, busy_tenant.slug, "default")
    after = _fingerprints(rt.shard_owner_engine("default"), schema)
    assert after["leads"]["rows"] == 4
    assert tenant_row(rt, busy_tenant.slug).shard == "default"


def test_source_app_role_loses_access_at_the_flip(sharded_runtime, busy_tenant, monkeypatch):
    """A writer that slipped past the freeze cannot write into the old copy once the pointer moved."""
    from sqlalchemy import text

    rt = sharded_runtime
    schema = tenant_row(rt, busy_tenant.slug).schema_name

    def stop_before_drop(name):
        if name == "drop_source":
            raise RuntimeError("stop")

    monkeypatch.setattr(move_module, "checkpoint", stop_before_drop)
    with pytest.raises(move_module.MoveError):
        move_module.move_tenant(rt, busy_tenant.slug, "default")
    with (
        rt.shard_engine("east").connect() as conn,
        pytest.raises(Exception, match="permission denied"),
    ):
        conn.execute(text(f'SELECT count(*) FROM "{schema}".leads'))


def test_a_move_that_dies_while_frozen_leaves_a_freeze_that_expires(
    sharded_runtime, busy_tenant, monkeypatch
):
    """A crashed move cannot block a tenant's writes for longer than the freeze TTL."""
    rt = sharded_runtime

    def die(name):
        if name == "verify":
            raise RuntimeError("crash")

    monkeypatch.setattr(move_module, "checkpoint", die)
    with pytest.raises(move_module.MoveError):
        move_module.move_tenant(rt, busy_tenant.slug, "default")
    ttl = rt.redis.ttl(freeze.freeze_key(busy_tenant.id))
    assert 0 < ttl <= move_module.FREEZE_TTL_SECONDS
    freeze.unfreeze(rt.redis, busy_tenant.id)
