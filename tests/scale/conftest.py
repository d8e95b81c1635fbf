"""Two shards on one server: the run's database (``default``, with the control plane) and a second
database ``east`` holding tenant schemas only (made by ``shared.dbsetup``, never migrated with the
control-plane track)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared.dbsetup import setup_database
from shared.runtime import Runtime, use_runtime
from tests.support import ADMIN_URL, ApiClient, drop_database_later

LEAD = {
    "name": "Dana Client",
    "phone": "(403) 555-0142",
    "email": "dana@example.com",
    "postal_code": "T2P 1J9",
    "notes": "Side door",
    "estimate_request": {"beds": 2, "baths": 1, "service_type": "deep", "heavy_grease": True},
}


@pytest.fixture(scope="session")
def east_db(database_urls):
    name = database_urls["name"] + "_east"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    setup_database(ADMIN_URL, app_url, owner_url)
    yield {"name": name, "app": app_url, "owner": owner_url}
    drop_database_later(name)


@pytest.fixture(scope="session")
def sharded_runtime(settings, migrated, east_db):
    """A runtime with shards ``default`` and ``east``; new tenants go to ``east``."""
    rt = Runtime(
        settings.replace(
            shards=[f"east={east_db['app']}"],
            shard_owner_urls=[f"east={east_db['owner']}"],
            shard_placement="east",
        )
    )
    yield rt
    rt.dispose()


@pytest.fixture(scope="session")
def sharded_wsgi(sharded_runtime):
    from wsgi import create_wsgi

    return create_wsgi(sharded_runtime.settings, runtime=sharded_runtime)


@pytest.fixture()
def sclient(sharded_wsgi) -> ApiClient:
    return ApiClient(sharded_wsgi)


@pytest.fixture()
def srt(sharded_runtime):
    with use_runtime(sharded_runtime):
        yield sharded_runtime


@pytest.fixture()
def cli(sharded_wsgi):
    runner = sharded_wsgi.control_plane.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


@pytest.fixture()
def lead_body():
    return copy.deepcopy(LEAD)


def schemas(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]+$'"))
        )


def tenant_row(rt, slug):
    from shared.models.tenants import Tenant

    with rt.engine.connect() as conn:
        return conn.execute(Tenant.__table__.select().where(Tenant.slug == slug)).first()
