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
