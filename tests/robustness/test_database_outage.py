"""SPEC §8: a request that cannot get a database connection, or loses it, answers 503
``service_unavailable`` with ``Retry-After: 5`` (problem+json), never 500; ``/readyz`` answers 503;
the app recovers within 5 s of the database coming back, with no restart (pool pre-ping).

The database sits behind a TCP proxy the test cuts (live connections dropped, new ones refused)
and restores, so every operation of both apps is swept with real pooled connections gone stale.
"""

from __future__ import annotations

import base64
import re
import time
import uuid

import pytest
from sqlalchemy.engine import make_url
from werkzeug.test import Client
from werkzeug.wrappers import Response

from shared.runtime import Runtime
from tests.conftest import OPERATOR
from tests.robustness.outage_proxy import OutageProxy
from tests.support import ApiClient, signup

PARAM = re.compile(r"\{([^}]+)\}")


@pytest.fixture()
def proxy(settings):
    url = make_url(settings.database_url)
    server = OutageProxy(url.host or "localhost", url.port or 5432)
    yield server
    server.close()


@pytest.fixture()
def outage_app(settings, migrated, proxy):
    from wsgi import create_wsgi

    rt = Runtime(
        settings.replace(
            database_url=proxy.url_for(settings.database_url),
            database_owner_url=proxy.url_for(settings.owner_url),
        )
    )
    try:
        yield create_wsgi(rt.settings, runtime=rt)
    finally:
        rt.dispose()


def _operations(app, spec_path: str, prefix: str):
    spec = Client(app, Response).get(spec_path).get_json()
    for path, item in spec["paths"].items():
        params = {p["name"]: p.get("schema", {}) for p in item.get("parameters", [])}
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                for p in op.get("parameters", []):
                    params.setdefault(p["name"], p.get("schema", {}))
                concrete = PARAM.sub(lambda m, ps=params: _value(ps.get(m.group(1), {})), path)
                yield method.upper(), prefix + concrete


def _value(schema: dict) -> str:
    return str(uuid.uuid4()) if schema.get("format") == "uuid" else "1"


def _assert_outage(resp, where: str) -> None:
    assert resp.status_code == 503, (where, resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.headers["Retry-After"] == "5", where
    assert resp.mimetype == "application/problem+json", where
    assert resp.get_json()["code"] == "service_unavailable", where


def test_every_operation_answers_503_never_500_while_the_database_is_away(outage_app, proxy):
    tenant = signup(ApiClient(outage_app))
    basic = "Basic " + base64.b64encode(":".join(OPERATOR).encode()).decode()
    raw = Client(outage_app, Response)
    ops = [
        *_operations(outage_app, "/v1/openapi.json", ""),
        *_operations(outage_app, tenant.url("/openapi.json"), f"/t/{tenant.slug}/v1"),
    ]
    assert len(ops) > 100

    def call(method, path):
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        headers["Authorization"] = (
            basic if path.startswith("/v1/ops") else tenant.headers["Authorization"]
        )
        return raw.open(path, method=method, json={}, headers=headers)

    # Warm every cache (tenant row, session) and the pool first: the outage then hits requests
    # that get past tenant resolution and auth, and pooled connections that are suddenly dead.
    safe = [(m, p) for m, p in ops if m == "GET"]
    for method, path in safe:
        call(method, path)

    proxy.cut()
    unavailable = []
    for method, path in ops:
        resp = call(method, path)
        where = f"{method} {path}"
        assert resp.status_code != 500, (where, resp.get_data(as_text=True)[:300])
        if resp.status_code >= 500:
            _assert_outage(resp, where)
            unavailable.append(method)
    # The outage must really be felt: writes with an empty body may refuse with a 422 before
    # they need the database (more of them as the API grows), but most reads need it.
    assert unavailable.count("GET") > len(safe) // 2, (unavailable.count("GET"), len(safe))
    assert raw.get("/readyz").status_code == 503
    assert raw.get("/healthz").status_code == 200
    _assert_outage(raw.get(tenant.url("/admin/settings"), headers=tenant.headers), "settings")
    _assert_outage(raw.get(tenant.url("/company")), "public company")
    login = {"email": tenant.email, "password": tenant.password}
    _assert_outage(raw.post("/v1/auth/login", json=login), "login")


def test_the_app_recovers_within_5_s_of_the_database_returning(outage_app, proxy):
    tenant = signup(ApiClient(outage_app))
    raw = Client(outage_app, Response)
    assert raw.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200

    proxy.cut()
    _assert_outage(raw.get(tenant.url("/admin/settings"), headers=tenant.headers), "settings")
    assert raw.get("/readyz").status_code == 503

    proxy.restore()
    back = time.monotonic()
    while True:
        ready = raw.get("/readyz").status_code
        settings = raw.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code
        if ready == settings == 200:
            break
        assert time.monotonic() - back < 5, (ready, settings)
        time.sleep(0.1)
    resp = raw.patch(
        tenant.url("/admin/settings"), json={"company_name": "Back Co"}, headers=tenant.headers
    )
    assert resp.status_code == 200


def test_a_connection_lost_inside_a_request_answers_503(outage_app, proxy, monkeypatch):
    """The database disappears between the tenant lookup and the handler's own query."""
    from tenantapp.settings import service as settings_service

    tenant = signup(ApiClient(outage_app))
    raw = Client(outage_app, Response)
    original = settings_service.get_settings

    def lose_it(*args, **kwargs):
        proxy.cut()
        return original(*args, **kwargs)

    monkeypatch.setattr(settings_service, "get_settings", lose_it)
    _assert_outage(raw.get(tenant.url("/admin/settings"), headers=tenant.headers), "mid-request")


def test_a_connection_lost_after_the_handler_read_never_escapes_the_teardown(
    outage_app, proxy, monkeypatch
):
    """The database goes away after the handler's query: closing the session sends a ROLLBACK
    that fails too, which used to escape the request teardown (a bare 500 from the server)."""
    from tenantapp.settings import service as settings_service

    tenant = signup(ApiClient(outage_app))
    raw = Client(outage_app, Response)
    original = settings_service.get_settings

    def read_then_lose_it(*args, **kwargs):
        row = original(*args, **kwargs)
        proxy.cut()
        return row

    monkeypatch.setattr(settings_service, "get_settings", read_then_lose_it)
    resp = raw.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code in (200, 503), resp.get_data(as_text=True)[:300]
    proxy.restore()
    monkeypatch.setattr(settings_service, "get_settings", original)
    deadline = time.monotonic() + 5
    while raw.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
