"""CORS: strict platform origins; a tenant's booking-site origins only on its public operations.
Security headers: nosniff, frame-deny, HSTS in prod, CSP on HTML."""

from __future__ import annotations

import re

import pytest

from shared.cors import platform_origins
from shared.runtime import Runtime
from tests.support import ApiClient, signup

APP = "https://app.cleanplane.example"
BOOKING = "https://book.acme.example"
EVIL = "https://evil.example"


@pytest.fixture()
def strict_client(runtime):
    from wsgi import create_wsgi

    rt = Runtime(runtime.settings.replace(strict_cors=True, cors_origins=[APP]))
    yield ApiClient(create_wsgi(rt.settings, runtime=rt))
    rt.dispose()


def _set_origins(client, tenant, origins):
    resp = client.patch(
        tenant.url("/admin/settings"), json={"booking_origins": origins}, headers=tenant.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)


def _acao(resp):
    return resp.headers.get("Access-Control-Allow-Origin")


def test_platform_origins_rules(settings):
    assert platform_origins(settings.replace(strict_cors=True, cors_origins=[])) == []
    assert platform_origins(settings.replace(strict_cors=True, cors_origins=["*", APP])) == [APP]
    prod = settings.replace(app_env="prod", strict_cors=False, cors_origins=[APP + "/"])
    assert platform_origins(prod) == [APP]
    assert platform_origins(settings.replace(strict_cors=False, cors_origins=[])) == "*"


def test_strict_cors_allows_only_listed_platform_origins(strict_client):
    ok = strict_client.get("/v1/plans", headers={"Origin": APP})
    assert _acao(ok) == APP
    assert "Origin" in ok.headers.get("Vary", "")
    bad = strict_client.get("/v1/plans", headers={"Origin": EVIL})
    assert _acao(bad) is None
    preflight = strict_client.options(
        "/v1/auth/login",
        headers={"Origin": APP, "Access-Control-Request-Method": "POST"},
    )
    assert _acao(preflight) == APP
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_booking_origin_is_allowed_on_public_operations_only(strict_client, client):
    tenant = signup(client)
    _set_origins(client, tenant, [BOOKING + "/"])

    public = strict_client.get(tenant.url("/company"), headers={"Origin": BOOKING})
    assert public.status_code == 200
    assert _acao(public) == BOOKING
    assert "Origin" in public.headers["Vary"]

    preflight = strict_client.options(
        tenant.url("/slots"),
        headers={"Origin": BOOKING, "Access-Control-Request-Method": "GET"},
    )
    assert _acao(preflight) == BOOKING
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET"
    assert "Authorization" not in preflight.headers["Access-Control-Allow-Headers"]

    # Staff endpoints: the booking site gets no CORS grant, neither on the call nor the preflight.
    staff = strict_client.get(
        tenant.url("/admin/settings"), headers={**tenant.headers, "Origin": BOOKING}
    )
    assert staff.status_code == 200
    assert _acao(staff) is None
    staff_preflight = strict_client.options(
        tenant.url("/admin/settings"),
        headers={"Origin": BOOKING, "Access-Control-Request-Method": "PATCH"},
    )
    assert _acao(staff_preflight) is None
    # The platform's own front end still reaches staff endpoints.
    platform = strict_client.get(
        tenant.url("/admin/settings"), headers={**tenant.headers, "Origin": APP}
    )
    assert _acao(platform) == APP


def test_booking_origin_belongs_to_its_tenant_only(strict_client, client):
    tenant, other = signup(client), signup(client)
    _set_origins(client, tenant, [BOOKING])
    resp = strict_client.get(other.url("/company"), headers={"Origin": BOOKING})
    assert resp.status_code == 200
    assert _acao(resp) is None
    assert _acao(strict_client.get(tenant.url("/company"), headers={"Origin": EVIL})) is None


def test_origin_changes_apply_at_once_and_are_cached_without_sql(strict_client, client, runtime):
    from sqlalchemy import event

    tenant = signup(client)
    _set_origins(client, tenant, [BOOKING])
    assert _acao(strict_client.get(tenant.url("/company"), headers={"Origin": BOOKING})) == BOOKING

    statements = []

    def count(conn, cursor, statement, *args):
        if re.match(r"SELECT \S+\.settings\.booking_origins\s+FROM", statement):
            statements.append(statement)

    engine = strict_client.application.tenant_app.extensions["cleanplane"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            strict_client.get(tenant.url("/company"), headers={"Origin": BOOKING})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []

    _set_origins(client, tenant, ["https://new-site.example"])
    after = strict_client.get(tenant.url("/company"), headers={"Origin": BOOKING})
    assert _acao(after) is None
    new = strict_client.get(tenant.url("/company"), headers={"Origin": "https://new-site.example"})
    assert _acao(new) == "https://new-site.example"


def test_security_headers_on_json_and_html(client, tenant):
    resp = client.get(tenant.url("/company"))
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in resp.headers  # not outside prod
    assert "Content-Security-Policy" not in resp.headers  # JSON, not HTML
    for path in ("/v1/docs", tenant.url("/docs")):
        html = client.get(path)
        assert html.status_code == 200
        assert html.mimetype == "text/html"
        csp = html.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert html.headers["X-Frame-Options"] == "DENY"


def test_hsts_in_prod(runtime):
    from wsgi import create_wsgi

    prod = runtime.settings.replace(
        app_env="prod",
        strict_cors=True,
        cors_origins=[APP],
        metrics_token="t" * 40,
        secret_key="s" * 40,
        jwt_secret="j" * 40,
    )
    rt = Runtime(prod)
    try:
        prod_client = ApiClient(create_wsgi(prod, runtime=rt))
        resp = prod_client.get("/healthz")
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert prod_client.get("/metrics").status_code == 401
    finally:
        rt.dispose()
