"""``/ops/`` is for operators only, exactly like ``/ops/rq/`` (SPEC §4.5)."""

import base64

import pytest

PAGES = ["/ops/", "/ops/charts", "/ops/migrations", "/ops/jobs", "/ops/dlq", "/ops/audit"]


@pytest.mark.parametrize("path", [*PAGES, "/ops/tenants/00000000-0000-0000-0000-000000000000"])
def test_without_credentials_is_401_with_a_basic_challenge(client, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_a_tenant_page_and_a_post_without_credentials_are_401_too(client, tenant):
    assert client.get(f"/ops/tenants/{tenant.id}").status_code == 401
    resp = client.post(f"/ops/tenants/{tenant.id}/suspend", data={"reason": "x"})
    assert resp.status_code == 401


def test_a_tenant_session_is_never_enough(client, tenant):
    """The staff token of a signed-up workspace (its owner, every permission) gets 403."""
    resp = client.get("/ops/", headers=tenant.headers)
    assert resp.status_code == 403
    resp = client.get(f"/ops/tenants/{tenant.id}", headers=tenant.headers)
    assert resp.status_code == 403


def test_wrong_basic_password_is_401(client):
    raw = base64.b64encode(b"ops:wrong-password").decode()
    resp = client.get("/ops/", headers={"Authorization": f"Basic {raw}"})
    assert resp.status_code == 401


@pytest.mark.parametrize("path", PAGES)
def test_pages_open_with_operator_credentials_under_a_strict_csp(ops, path):
    resp = ops.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Set-Cookie" not in resp.headers
    html = resp.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html
    assert 'href="/ops/rq/"' in html  # the RQ dashboard is one click away
    assert "/ops/ops.css" in html and "/web/app.css" in html  # the page stack's stylesheet too


def test_unknown_tenant_is_404(ops):
    assert ops.get("/ops/tenants/00000000-0000-0000-0000-000000000000").status_code == 404
    assert ops.get("/ops/tenants/not-a-uuid").status_code == 404
