"""Tenant resolution, isolation of schemas, suspension and the app role's guard schema."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from shared import db
from shared.tenancy import InvalidSchemaName, TenantRef, check_schema_name, tenant_context
from tenantapp.settings.models import TenantSettings
from tests.support import ApiClient


def test_token_of_tenant_a_on_tenant_b_is_tenant_mismatch(client, tenant, other_tenant):
    resp = client.get(other_tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code == 403
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "tenant_mismatch"


def test_unknown_slug_is_404_problem(client, tenant):
    resp = client.get("/t/no-such-company/v1/admin/settings", headers=tenant.headers)
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "not_found"


def test_each_tenant_reads_its_own_schema(client, tenant, other_tenant):
    client.patch(
        tenant.url("/admin/settings"), json={"company_name": "Alpha"}, headers=tenant.headers
    )
    a = client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    b = client.get(other_tenant.url("/admin/settings"), headers=other_tenant.headers).get_json()
    assert a["company_name"] == "Alpha"
    assert b["company_name"] != "Alpha"


def _suspend(client, operator_headers, tenant_id):
    resp = client.post(
        f"/v1/ops/tenants/{tenant_id}/suspend", json={"reason": "unpaid"}, headers=operator_headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)


def test_suspended_tenant_staff_403_public_404_billing_reachable(
    client, tenant, operator_headers, runtime
):
    from wsgi import create_wsgi

    # A second app instance with its own process cache, sharing Redis: it must see the change.
    second = ApiClient(create_wsgi(runtime.settings))
    assert second.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200
    assert second.get(tenant.url("/company")).status_code == 200

    _suspend(client, operator_headers, tenant.id)

    staff = second.get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert staff.status_code == 403
    assert staff.get_json()["code"] == "tenant_suspended"
    assert second.get(tenant.url("/company")).status_code == 404
    assert second.get("/v1/billing/status", headers=tenant.headers).status_code == 200
    assert second.get("/v1/tenant", headers=tenant.headers).get_json()["status"] == "suspended"
    login = second.post("/v1/auth/login", json={"email": tenant.email, "password": tenant.password})
    assert login.status_code == 200

    resp = client.post(
        f"/v1/ops/tenants/{tenant.id}/resume", json={"reason": "paid"}, headers=operator_headers
    )
    assert resp.status_code == 200
    assert second.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 200


def test_tenant_query_outside_tenant_context_fails(rt):
    with pytest.raises(ProgrammingError, match="does not exist"):
        db.session().execute(select(TenantSettings)).all()
    db.close_session()


def test_tenant_context_restores_previous_tenant(rt, client, tenant, other_tenant):
    a = rt.tenants.by_slug(tenant.slug)
    b = rt.tenants.by_slug(other_tenant.slug)
    with tenant_context(a):
        outer = db.session()
        with tenant_context(b):
            assert db.session() is not outer
            name_b = db.session().get(TenantSettings, 1).company_name
        assert db.session() is outer
        name_a = db.session().get(TenantSettings, 1).company_name
    assert name_a.startswith(tenant.slug) and name_b.startswith(other_tenant.slug)


def test_app_role_search_path_is_cp_guard_and_it_stays_empty(rt, tenant):
    with rt.engine.connect() as conn:
        assert conn.execute(text("SHOW search_path")).scalar() == "cp_guard"
        count = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'cp_guard'"
            )
        ).scalar()
        assert count == 0
    with rt.engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
        conn.execute(text("CREATE TABLE cp_guard.sneaky (id int)"))


@pytest.mark.parametrize(
    "name",
    [
        "public",
        "t_",
        "t_abc",
        "t_0123456789ABCDEF01234567",
        "t_0123456789ab;drop",
        "x_0123456789ab",
        "t_" + "a" * 33,
        't_0123456789ab"',
    ],
)
def test_schema_names_outside_the_pattern_are_refused(name):
    with pytest.raises(InvalidSchemaName):
        check_schema_name(name)


def test_tenant_context_refuses_a_bad_schema_name():
    ref = TenantRef(
        id=None,
        slug="x",
        schema_name="public",
        status="active",
        plan="free",
        time_zone="UTC",
        company_name="x",
        schema_revision=None,
    )
    with pytest.raises(InvalidSchemaName):
        tenant_context(ref)


@pytest.mark.parametrize("name", ["t_0123456789ab", "t_" + "f" * 32])
def test_schema_name_boundaries_accepted(name):
    assert check_schema_name(name) == name


def test_preload_caches_served_tenants_and_a_later_change_still_wins(
    runtime, client, tenant, operator_headers
):
    from shared.runtime import Runtime

    fresh = Runtime(runtime.settings)  # an empty directory, like a worker at start
    assert fresh.tenants.preload() >= 1
    cached = fresh.tenants._rows[__import__("uuid").UUID(tenant.id)]
    assert cached.status == "active"
    client.post(
        f"/v1/ops/tenants/{tenant.id}/suspend", json={"reason": "x"}, headers=operator_headers
    )
    assert fresh.tenants.by_id(tenant.id).status == "suspended"  # version bumped: re-read
    fresh.dispose()
