"""Signup: slug rules, conflicts, and a failure at any step leaving nothing behind."""

import uuid

import pytest
from sqlalchemy import text

from controlplane.provisioning import service as provisioning
from tests.support import PASSWORD, signup, unique_slug


def _body(**over):
    body = {
        "company_name": "Sparkle Co",
        "slug": unique_slug(),
        "email": f"o-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
    }
    body.update(over)
    return body


def test_signup_returns_active_free_tenant_and_tokens(client):
    resp = client.post("/v1/signup", json=_body())
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["tenant"]["status"] == "active" and data["tenant"]["plan"] == "free"
    assert data["access_token"] and data["refresh_token"] and data["expires_at"]
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {data['access_token']}"})
    assert me.get_json()["role"] == "owner"


@pytest.mark.parametrize(
    "slug",
    ["ab", "a" * 41, "1abc", "abc-", "ab--cd", "Abc", "ab_cd", "-abc", "ab.cd", ""],
)
def test_bad_slug_is_422(client, slug):
    resp = client.post("/v1/signup", json=_body(slug=slug))
    assert resp.status_code == 422
    assert any(e["field"] == "slug" for e in resp.get_json()["errors"])


@pytest.mark.parametrize("slug", ["abc", "a" * 40, "a-b-c", "a1-2b"])
def test_slug_boundaries_accepted(client, slug):
    resp = client.post("/v1/signup", json=_body(slug=slug))
    assert resp.status_code == 201, resp.get_data(as_text=True)


@pytest.mark.parametrize("slug", ["www", "api", "admin", "ops", "static", "billing", "docs"])
def test_reserved_slug_is_422(client, slug):
    resp = client.post("/v1/signup", json=_body(slug=slug))
    assert resp.status_code == 422
    assert "reserved" in resp.get_json()["errors"][0]["message"]


def test_taken_slug_and_email_are_409(client, tenant):
    assert client.post("/v1/signup", json=_body(slug=tenant.slug)).status_code == 409
    assert client.post("/v1/signup", json=_body(email=tenant.email.upper())).status_code == 409


@pytest.mark.parametrize(
    "password", ["Short1a", "alllowercase123", "ALLUPPERCASE123", "NoDigitsHereAtAll"]
)
def test_weak_password_is_422(client, password):
    resp = client.post("/v1/signup", json=_body(password=password))
    assert resp.status_code == 422


def test_password_policy_boundary_12_chars(client):
    assert client.post("/v1/signup", json=_body(password="Abcdefghij1")).status_code == 422
    assert client.post("/v1/signup", json=_body(password="Abcdefghijk1")).status_code == 201


def test_bad_time_zone_is_422(client):
    resp = client.post("/v1/signup", json=_body(time_zone="Mars/Olympus"))
    assert resp.status_code == 422


def _counts(runtime, slug, email):
    with runtime.owner_engine.connect() as conn:
        schemas = conn.execute(
            text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        ).scalar()
        tenants = conn.execute(
            text("SELECT count(*) FROM public.tenants WHERE slug = :s"), {"s": slug}
        ).scalar()
        users = conn.execute(
            text("SELECT count(*) FROM public.users WHERE email = :e"), {"e": email}
        ).scalar()
    return schemas, tenants, users


@pytest.mark.parametrize("step", provisioning.STEPS)
def test_failure_at_each_signup_step_leaves_nothing(empty_pool, client, runtime, monkeypatch, step):
    body = _body()
    schemas_before, _, _ = _counts(runtime, body["slug"], body["email"])

    def explode(name):
        if name == step:
            raise RuntimeError(f"injected failure at {name}")

    monkeypatch.setattr(provisioning, "checkpoint", explode)
    resp = client.post("/v1/signup", json=body)
    assert resp.status_code == 503
    assert resp.get_json()["code"] == "provisioning_failed"
    assert _counts(runtime, body["slug"], body["email"]) == (schemas_before, 0, 0)

    monkeypatch.undo()
    assert client.post("/v1/signup", json=body).status_code == 201


def test_signup_seeds_settings_and_default_team(rt, client):
    handle = signup(client, time_zone="America/Toronto")
    ref = rt.tenants.by_slug(handle.slug)
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.settings.models import TenantSettings
    from tenantapp.teams.models import Team

    with tenant_context(ref):
        settings = db.session().get(TenantSettings, 1)
        teams = db.session().query(Team).all()
    assert settings.time_zone == "America/Toronto"
    assert settings.contact_email == handle.email
    assert [t.is_default for t in teams] == [True]
