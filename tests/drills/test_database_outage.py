"""Drill (SPEC §8): the app's Postgres stops under load and starts again.

While it is down every request answers 503 ``service_unavailable`` with ``Retry-After: 5``
(problem+json), never 500, and ``/readyz`` answers 503; once it is back the same process serves
again within 5 s (pool pre-ping), with no restart. A private cluster, never the shared server."""

from __future__ import annotations

import time

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from shared.dbsetup import setup_database
from shared.migrations import upgrade_public
from shared.runtime import Runtime
from tests.drills.support import Load, PrivatePostgres
from tests.support import ApiClient, signup

pytestmark = pytest.mark.slow


@pytest.fixture()
def private_pg(tmp_path):
    server = PrivatePostgres(tmp_path / "pgdrill")
    server.start()
    yield server
    server.remove()


def test_requests_get_503_while_postgres_is_down_and_service_returns_within_5_s(
    settings, private_pg
):
    from wsgi import create_wsgi

    app_url, owner_url = private_pg.database_urls()
    setup_database(private_pg.admin_url, app_url, owner_url)
    rt = Runtime(settings.replace(database_url=app_url, database_owner_url=owner_url))
    try:
        upgrade_public(rt.owner_engine)
        app = create_wsgi(rt.settings, runtime=rt)
        tenant = signup(ApiClient(app))
        raw = Client(app, Response)
        requests = [
            (tenant.url("/admin/settings"), tenant.headers),
            ("/v1/tenant", tenant.headers),
            (tenant.url("/company"), {}),
        ]
        with Load(app, requests) as load:
            load.wait_for_more(30)
            private_pg.stop()
            down_at = load.total()
            load.wait_for_more(60)
            ready = raw.get("/readyz")
            assert ready.status_code == 503
            resp = raw.patch(
                tenant.url("/admin/settings"), json={"company_name": "X"}, headers=tenant.headers
            )
            assert resp.status_code == 503
            assert resp.headers["Retry-After"] == "5"
            assert resp.mimetype == "application/problem+json"
            assert resp.get_json()["code"] == "service_unavailable"
            statuses_down = dict(load.statuses)

            private_pg.start()
            back = time.monotonic()
            while raw.get("/readyz").status_code != 200 or (
                raw.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code != 200
            ):
                assert time.monotonic() - back < 5, "not serving 5 s after Postgres returned"
                time.sleep(0.1)
            recovered_in = time.monotonic() - back
            load.wait_for_more(30)

        assert load.total() - down_at >= 60
        assert 500 not in load.statuses, load.bodies[:3]
        assert set(load.statuses) <= {200, 503}, load.statuses
        assert statuses_down.get(503, 0) > 0
        assert all("service_unavailable" in body for body in load.bodies)
        print(f"recovered {recovered_in:.2f} s after Postgres started")
    finally:
        rt.dispose()
