"""SPEC §8: a tenant move refuses to start, or aborts before its flip, while Redis is unavailable
(requests read the write freeze failing open, so a freeze nobody can see protects nothing)."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import select

from controlplane.shards import move as move_module
from controlplane.shards.models import TenantMove
from shared import freeze
from tests.messaging.conftest import free_port
from tests.scale.conftest import tenant_row
from tests.support import signup


def _dead_redis() -> redis.Redis:
    return redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)


def test_a_move_refuses_to_start_while_redis_is_unavailable(sharded_runtime, sclient, monkeypatch):
    rt = sharded_runtime
    tenant = signup(sclient)
    assert tenant_row(rt, tenant.slug).shard == "east"
    monkeypatch.setitem(rt.__dict__, "redis", _dead_redis())
    with pytest.raises(move_module.MoveError, match="Redis is unavailable"):
        move_module.move_tenant(rt, tenant.slug, "default")
    monkeypatch.undo()
    assert tenant_row(rt, tenant.slug).shard == "east"
    with rt.engine.connect() as conn:
        rows = conn.execute(select(TenantMove).where(TenantMove.tenant_id == tenant.id)).all()
    assert rows == []  # no move row written: nothing to resume, nothing frozen


def test_a_move_aborts_before_the_flip_when_redis_goes_away(sharded_runtime, sclient, monkeypatch):
    rt = sharded_runtime
    tenant = signup(sclient)
    live = rt.redis

    def redis_dies_after_freeze(name):
        if name == "freeze:done":
            rt.__dict__["redis"] = _dead_redis()

    monkeypatch.setattr(move_module, "checkpoint", redis_dies_after_freeze)
    try:
        with pytest.raises(move_module.MoveError, match="verify"):
            move_module.move_tenant(rt, tenant.slug, "default")
    finally:
        rt.__dict__["redis"] = live
    assert tenant_row(rt, tenant.slug).shard == "east"  # not flipped

    # Redis is back: the same command resumes and finishes.
    monkeypatch.setattr(move_module, "checkpoint", lambda name: None)
    move_module.move_tenant(rt, tenant.slug, "default")
    assert tenant_row(rt, tenant.slug).shard == "default"
    assert not freeze.is_frozen(rt.redis, tenant.id)
