from __future__ import annotations

import base64
import os
import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from shared.dbsetup import setup_database
from shared.migrations import upgrade_public
from shared.runtime import Runtime, use_runtime
from shared.settings import Settings
from tests.recycle import park_pool, recycle_since, unpark_pool
from tests.support import (
    ADMIN_URL,
    ApiClient,
    claim_redis_db,
    drop_database_later,
    release_redis_db,
    signup,
)

OPERATOR = ("ops", "ops-password-for-tests")


@pytest.fixture(scope="session")
def database_urls():
    """A fresh database for this run (per xdist worker), dropped at the end."""
    name = f"cleanplane_test_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    setup_database(ADMIN_URL, app_url, owner_url)
    yield {"name": name, "app": app_url, "owner": owner_url}
    drop_database_later(name)  # a run leaves a few hundred tenant schemas: do not wait


@pytest.fixture(scope="session")
def redis_db():
    index, client = claim_redis_db()
    yield index
    client.close()
    release_redis_db(index)


@pytest.fixture(scope="session")
def settings(database_urls, redis_db, tmp_path_factory) -> Settings:
    base = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
    return Settings.from_env(
        {},
        app_env="test",
        database_url=database_urls["app"],
        database_owner_url=database_urls["owner"],
        redis_url=f"{base}/{redis_db}",
        operator_basic_auth=[":".join(OPERATOR)],
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        storage_dir=str(tmp_path_factory.mktemp("storage")),
        log_level="INFO",  # INFO so every log call with extra= is exercised by the suite
        tenant_pool_size=0,
        # A fresh key per run (not the published dev key), so nothing depends on that one.
        data_encryption_keys=[Fernet.generate_key().decode()],
    )


@pytest.fixture(scope="session")
def migrated(settings):
    rt = Runtime(settings)
    upgrade_public(rt.owner_engine)
    rt.dispose()
    return True


@pytest.fixture(scope="session")
def runtime(settings, migrated):
    rt = Runtime(settings)
    yield rt
    rt.dispose()


@pytest.fixture(scope="session")
def wsgi_app(runtime):
    from wsgi import create_wsgi

    return create_wsgi(runtime.settings, runtime=runtime)


@pytest.fixture(autouse=True)
def _recycled_tenants(request):
    """The tenant schemas a test signed up go back to the warm pool when it ends (tests/recycle.py):
    a schema costs ~0.4 s of DDL, and most tests sign up one or two. ``fresh_schemas`` opts out."""
    if "runtime" not in request.fixturenames or request.node.get_closest_marker("fresh_schemas"):
        yield
        return
    from sqlalchemy import text

    runtime = request.getfixturevalue("runtime")
    with runtime.owner_engine.connect() as conn:
        since = conn.scalar(text("SELECT clock_timestamp()"))
    yield
    recycle_since(runtime, since)


@pytest.fixture()
def empty_pool(rt):
    """An empty warm pool before and after the test (signups elsewhere take the cold path).

    The schemas other tests gave back (tests/recycle.py) are parked as claimed meanwhile."""
    from controlplane.provisioning.pool import drain_pool

    park_pool(rt.owner_engine)
    drain_pool(rt)
    yield rt
    drain_pool(rt)
    unpark_pool(rt.owner_engine)


@pytest.fixture(autouse=True)
def _no_jobs_left_behind(request):
    """Jobs a test enqueued and did not run are dropped when it ends.

    A run's tests share one Redis db: without this, every signup's and booking's jobs piled up on
    the queues, and the next test that works a queue (a burst worker, a real worker process) ran
    all of them — one import test took 50 s doing other tests' work — and tests counting a queue
    saw other tests' jobs.
    """
    yield
    if "runtime" in request.fixturenames:
        from jobs import queues

        runtime = request.getfixturevalue("runtime")
        for name in queues.ALL:
            queues.queue(name, runtime).empty()


@pytest.fixture()
def client(wsgi_app) -> ApiClient:
    return ApiClient(wsgi_app)


@pytest.fixture()
def rt(runtime):
    """The runtime made current for code called directly from a test."""
    with use_runtime(runtime):
        yield runtime


@pytest.fixture()
def tenant(client):
    return signup(client)


@pytest.fixture()
def other_tenant(client):
    return signup(client)


@pytest.fixture()
def operator_headers() -> dict:
    raw = base64.b64encode(":".join(OPERATOR).encode()).decode()
    return {"Authorization": f"Basic {raw}"}


# How many signed-up schemas went back to the pool: summed over xdist workers for the summary.
def pytest_sessionfinish(session):
    from tests.recycle import STATS

    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the counts over
        session.config.workeroutput["recycle"] = dict(STATS)


def pytest_testnodedown(node, error):
    from tests.recycle import STATS

    for key, value in getattr(node, "workeroutput", {}).get("recycle", {}).items():
        STATS[key] += value


def pytest_terminal_summary(terminalreporter):
    from tests.recycle import STATS

    if STATS["recycled"] or STATS["kept"]:
        terminalreporter.write_line(
            f"tenant schemas recycled into the pool: {STATS['recycled']}; "
            f"kept as their test left them: {STATS['kept']}"
        )
