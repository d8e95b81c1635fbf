"""Fleet tests run in a fresh database each: they migrate *every* tenant, so they must not touch
the session database other tests share, and each starts from a known fleet."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import make_url

from controlplane.fleet.scratch import scratch_track
from controlplane.fleet.service import wait_for_background_runs
from controlplane.provisioning.service import NewTenant, provision
from shared.dbsetup import setup_database
from shared.migrations import upgrade_public
from shared.runtime import Runtime
from tests.support import ADMIN_URL, ApiClient, drop_database_later


def _fresh_database(settings):
    name = f"cleanplane_fleet_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    setup_database(ADMIN_URL, app_url, owner_url)
    return name, settings.replace(database_url=app_url, database_owner_url=owner_url)


@pytest.fixture()
def fleet_settings(settings):
    """Settings on a brand-new, empty database (not even ``public`` migrated)."""
    name, fleet = _fresh_database(settings)
    yield fleet
    drop_database_later(name)


@pytest.fixture(scope="session")
def fleet_database(settings):
    """One database for the fleet tests, ``public`` at head; ``fleet_rt`` empties it per test."""
    name, fleet = _fresh_database(settings)
    rt = Runtime(fleet)
    upgrade_public(rt.owner_engine)
    rt.owner_engine.dispose()
    yield fleet
    drop_database_later(name)


def _empty(rt: Runtime) -> None:
    """Drop every tenant schema; empty the control-plane tables but plans."""
    with rt.owner_engine.begin() as conn:
        for (schema,) in conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]{12,32}$'"
        ):
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        tables = conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename NOT IN ('alembic_version', 'plans')"
        ).scalars()
        conn.exec_driver_sql("TRUNCATE " + ", ".join(f'public."{t}"' for t in tables) + " CASCADE")


@pytest.fixture()
def fleet_rt(fleet_database):
    """A runtime on the fleet database, emptied: ``public`` at head and no tenants."""
    rt = Runtime(fleet_database)
    _empty(rt)
    yield rt
    wait_for_background_runs(timeout=30)
    rt.engine.dispose()
    rt.owner_engine.dispose()
    rt.redis.close()


@pytest.fixture()
def fleet_client(fleet_rt) -> ApiClient:
    from wsgi import create_wsgi

    return ApiClient(create_wsgi(fleet_rt.settings, runtime=fleet_rt))


@pytest.fixture()
def cp_app(fleet_rt):
    from controlplane.app import create_app

    return create_app(runtime=fleet_rt)


@pytest.fixture()
def cli(cp_app):
    """``invoke("migrate", "--parallel", "2")`` → click result of ``flask tenants migrate ...``."""
    runner = cp_app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["tenants", *args])

    return invoke


@pytest.fixture()
def drill_track(tmp_path):
    """A scratch tenant track: the real one plus a revision adding a column and an index."""
    return scratch_track(tmp_path / "alembic_tenant", revisions=1)


def make_tenants(rt: Runtime, count: int, prefix: str = "fleet") -> list[dict]:
    """Provision ``count`` active tenants at the real tenant head; returns id/slug/schema."""
    out = []
    for _ in range(count):
        slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
        with rt.owner_engine.begin() as conn:
            tenant_id = provision(
                conn, rt, NewTenant(f"{slug} Cleaning", slug, "America/Edmonton", None, "test")
            )
        with rt.owner_engine.connect() as conn:
            schema = conn.exec_driver_sql(
                f"SELECT schema_name FROM public.tenants WHERE id = '{tenant_id}'"
            ).scalar_one()
        out.append({"id": tenant_id, "slug": slug, "schema": schema})
    return out


@pytest.fixture()
def tenants(fleet_rt):
    return make_tenants(fleet_rt, 4)


def schema_version(rt: Runtime, schema: str) -> str | None:
    with rt.owner_engine.connect() as conn:
        return conn.exec_driver_sql(f'SELECT version_num FROM "{schema}".alembic_version').scalar()


def recorded_revision(rt: Runtime, tenant_id) -> str | None:
    with rt.owner_engine.connect() as conn:
        return conn.exec_driver_sql(
            f"SELECT schema_revision FROM public.tenants WHERE id = '{tenant_id}'"
        ).scalar()


def result_rows(rt: Runtime, run_id=None) -> list:
    sql = "SELECT * FROM public.fleet_results"
    if run_id is not None:
        sql += f" WHERE run_id = '{run_id}'"
    with rt.owner_engine.connect() as conn:
        return list(conn.exec_driver_sql(sql + " ORDER BY id"))


def run_rows(rt: Runtime) -> list:
    with rt.owner_engine.connect() as conn:
        return list(conn.exec_driver_sql("SELECT * FROM public.fleet_runs ORDER BY started_at"))


def has_column(rt: Runtime, schema: str, table: str, column: str) -> bool:
    with rt.owner_engine.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM information_schema.columns"
                f" WHERE table_schema = '{schema}' AND table_name = '{table}'"
                f" AND column_name = '{column}'"
            ).scalar()
        )


# ---------------------------------------------------------------------------- two shards
@pytest.fixture(scope="session")
def fleet_east_database(fleet_database):
    """A second database on the same server, the shard ``east`` (tenant schemas only, made by
    ``shared.dbsetup`` like ``tests/scale/conftest.py``'s ``east_db``; never gets ``public``)."""
    name = make_url(fleet_database.database_url).database + "_east"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    setup_database(ADMIN_URL, app_url, owner_url)
    yield {"name": name, "app": app_url, "owner": owner_url}
    drop_database_later(name)


@pytest.fixture()
def sharded_fleet_rt(fleet_rt, fleet_east_database):
    """``fleet_rt`` with a second shard ``east``; both databases emptied of tenant schemas."""
    rt = Runtime(
        fleet_rt.settings.replace(
            shards=[f"east={fleet_east_database['app']}"],
            shard_owner_urls=[f"east={fleet_east_database['owner']}"],
        )
    )
    _drop_tenant_schemas(rt.shard_owner_engine("east"))
    yield rt
    wait_for_background_runs(timeout=30)
    for engine in (
        rt.engine,
        rt.owner_engine,
        rt.shard_engine("east"),
        rt.shard_owner_engine("east"),
    ):
        engine.dispose()
    rt.redis.close()


def _drop_tenant_schemas(engine) -> None:
    with engine.begin() as conn:
        for (schema,) in conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]{12,32}$'"
        ):
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture()
def sharded_cli(sharded_fleet_rt):
    from controlplane.app import create_app

    runner = create_app(runtime=sharded_fleet_rt).test_cli_runner()
    return lambda *args: runner.invoke(args=["tenants", *args])


def make_shard_tenants(rt: Runtime, count: int, shard: str, prefix: str = "fleet") -> list[dict]:
    """Provision ``count`` tenants on ``shard`` (the signup saga for a remote shard)."""
    from controlplane.shards.placement import provision_placed

    out = []
    for _ in range(count):
        slug = f"{prefix}-{shard}-{uuid.uuid4().hex[:8]}"
        spec = NewTenant(f"{slug} Cleaning", slug, "America/Edmonton", None, "test")
        tenant_id, placed = provision_placed(rt, spec, shard=shard)
        assert placed == shard
        with rt.owner_engine.connect() as conn:
            schema = conn.exec_driver_sql(
                f"SELECT schema_name FROM public.tenants WHERE id = '{tenant_id}'"
            ).scalar_one()
        out.append({"id": tenant_id, "slug": slug, "schema": schema, "shard": shard})
    return out


def shard_version(rt: Runtime, shard: str, schema: str) -> str | None:
    with rt.shard_owner_engine(shard).connect() as conn:
        return conn.exec_driver_sql(f'SELECT version_num FROM "{schema}".alembic_version').scalar()


def shard_has_column(rt: Runtime, shard: str, schema: str, table: str, column: str) -> bool:
    with rt.shard_owner_engine(shard).connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM information_schema.columns"
                f" WHERE table_schema = '{schema}' AND table_name = '{table}'"
                f" AND column_name = '{column}'"
            ).scalar()
        )
