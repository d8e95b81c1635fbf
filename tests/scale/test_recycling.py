"""Pooled connections are replaced once they served POOL_MAX_TENANTS_PER_CONN distinct tenants
(or after POOL_RECYCLE_SECONDS), measured by the Postgres backend pid behind the session."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import text

from shared import db
from shared.runtime import Runtime, use_runtime
from shared.settings import Settings, SettingsError
from shared.tenancy import TenantRef, tenant_context


def _ref(i: int) -> TenantRef:
    # Schemas need not exist: ``SELECT pg_backend_pid()`` never touches them.
    return TenantRef(
        id=uuid.uuid4(),
        slug=f"tenant-{i}",
        schema_name=f"t_{i:024x}",
        status="active",
        plan="free",
        time_zone="UTC",
        company_name="x",
        schema_revision=None,
    )


@pytest.fixture()
def one_conn_runtime(settings):
    def make(**overrides):
        rt = Runtime(settings.replace(pool_size=1, **overrides))
        made.append(rt)
        return rt

    made: list[Runtime] = []
    yield make
    for rt in made:
        rt.engine.dispose()


def _pid_in(rt: Runtime, ref: TenantRef) -> int:
    with use_runtime(rt), tenant_context(ref):
        return db.session().scalar(text("SELECT pg_backend_pid()"))


def _alive(rt: Runtime, pid: int) -> bool:
    with rt.owner_engine.connect() as conn:
        return bool(
            conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid})
        )


def test_connection_that_served_n_tenants_is_replaced_at_next_checkout(one_conn_runtime):
    rt = one_conn_runtime(pool_max_tenants_per_conn=3)
    pids = [_pid_in(rt, _ref(i)) for i in range(3)]
    assert len(set(pids)) == 1  # tenants 1..3 share one backend
    fourth = _pid_in(rt, _ref(3))
    assert fourth != pids[0]
    assert not _alive(rt, pids[0])  # the old backend was closed, not leaked
    # The fresh connection starts a new budget: two more tenants stay on it.
    assert _pid_in(rt, _ref(4)) == fourth
    assert _pid_in(rt, _ref(5)) == fourth
    assert _pid_in(rt, _ref(6)) != fourth


def test_n_minus_one_tenants_keep_the_connection(one_conn_runtime):
    rt = one_conn_runtime(pool_max_tenants_per_conn=3)
    first = _pid_in(rt, _ref(0))
    assert _pid_in(rt, _ref(1)) == first
    # Served 2 < 3: the next checkout (a tenant already seen) keeps the backend.
    assert _pid_in(rt, _ref(0)) == first


def test_the_same_tenant_again_is_not_a_new_tenant(one_conn_runtime):
    rt = one_conn_runtime(pool_max_tenants_per_conn=2)
    ref = _ref(0)
    pids = {_pid_in(rt, ref) for _ in range(10)}
    assert len(pids) == 1


def test_control_plane_sessions_do_not_count(one_conn_runtime):
    rt = one_conn_runtime(pool_max_tenants_per_conn=1)
    with use_runtime(rt):
        first = db.session().scalar(text("SELECT pg_backend_pid()"))
        db.close_session()
        again = db.session().scalar(text("SELECT pg_backend_pid()"))
        db.close_session()
    assert first == again


def test_pool_recycle_seconds_replaces_an_old_connection(one_conn_runtime):
    rt = one_conn_runtime(pool_max_tenants_per_conn=1000, pool_recycle_seconds=1)
    ref = _ref(0)
    first = _pid_in(rt, ref)
    assert _pid_in(rt, ref) == first
    time.sleep(1.2)
    assert _pid_in(rt, ref) != first


def test_pool_max_tenants_per_conn_must_be_at_least_one():
    with pytest.raises(SettingsError):
        Settings.from_env({"POOL_MAX_TENANTS_PER_CONN": "0"})
    assert Settings.from_env({"POOL_MAX_TENANTS_PER_CONN": "1"}).pool_max_tenants_per_conn == 1
