"""A failure at any step of any path: public signup keeps nothing, an operator's tenant is
kept as ``provision_failed`` with the reason and can be retried; the warm pool loses nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from controlplane.provisioning.pool import refill_pool
from controlplane.provisioning.service import COLD_STEPS, WARM_STEPS
from shared.models.accounts import User
from shared.models.tenants import Tenant, TenantEvent
from tests.provisioning.conftest import tenant_schemas, unclaimed_pool
from tests.support import PASSWORD, unique_slug

CASES = [("warm", step) for step in WARM_STEPS] + [("cold", step) for step in COLD_STEPS]


def _prepare(rt, path: str) -> None:
    if path == "warm":
        refill_pool(rt, 1)


def _tenant(rt, slug):
    with rt.engine.connect() as conn:
        return conn.execute(select(Tenant).where(Tenant.slug == slug)).first()


def _user(rt, email):
    with rt.engine.connect() as conn:
        return conn.execute(select(User).where(User.email == email)).first()


def _expected_steps(path, step):
    steps = WARM_STEPS if path == "warm" else COLD_STEPS
    return list(steps[: steps.index(step) + 1])


@pytest.mark.parametrize(("path", "step"), CASES)
def test_public_signup_failure_leaves_nothing(empty_pool, client, fail_at, path, step):
    rt = empty_pool
    _prepare(rt, path)
    schemas, pool = tenant_schemas(rt.engine), unclaimed_pool(rt.engine)
    reached = fail_at(step)
    slug, email = unique_slug("fail"), f"fail-{uuid.uuid4().hex[:8]}@example.com"
    body = {"company_name": "Fail Co", "slug": slug, "email": email, "password": PASSWORD}
    resp = client.post("/v1/signup", json=body)
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json()["code"] == "provisioning_failed"
    assert reached == _expected_steps(path, step)
    assert tenant_schemas(rt.engine) == schemas
    assert unclaimed_pool(rt.engine) == pool
    assert _tenant(rt, slug) is None
    assert _user(rt, email) is None

    reached.clear()
    fail_at("no such step")
    resp = client.post("/v1/signup", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    new_schemas = tenant_schemas(rt.engine) - schemas
    assert len(new_schemas) == (0 if path == "warm" else 1)
    assert _tenant(rt, slug).schema_name in (pool | new_schemas)
    assert unclaimed_pool(rt.engine) == set()


@pytest.mark.parametrize(("path", "step"), CASES)
def test_cli_create_failure_keeps_a_retryable_provision_failed_row(
    empty_pool, cli, fail_at, path, step
):
    rt = empty_pool
    _prepare(rt, path)
    schemas, pool = tenant_schemas(rt.engine), unclaimed_pool(rt.engine)
    reached = fail_at(step)
    slug, email = unique_slug("cli"), f"cli-{uuid.uuid4().hex[:8]}@example.com"
    args = ["tenants", "create", "--slug", slug, "--name", "CLI Co", "--email", email]
    result = cli(*args, "--time-zone", "Europe/Berlin", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "provision_failed" in result.output
    assert f"flask tenants retry {slug}" in result.output
    assert reached == _expected_steps(path, step)
    assert tenant_schemas(rt.engine) == schemas
    assert unclaimed_pool(rt.engine) == pool
    row = _tenant(rt, slug)
    assert row.status == "provision_failed"
    assert row.status_reason.startswith(f"{step}: InjectedFailure: injected at {step}")
    assert row.schema_name not in schemas

    fail_at("no such step")
    result = cli("tenants", "retry", slug)
    assert result.exit_code == 0, result.output
    row = _tenant(rt, slug)
    assert (row.status, row.status_reason, row.time_zone) == ("active", None, "Europe/Berlin")
    assert row.schema_name in tenant_schemas(rt.engine)
    if path == "warm":
        assert row.schema_name in pool
    with rt.engine.connect() as conn:
        events = conn.execute(
            select(TenantEvent.from_status, TenantEvent.to_status)
            .where(TenantEvent.tenant_id == row.id)
            .order_by(TenantEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        (None, "provisioning"),
        ("provisioning", "provision_failed"),
        ("provision_failed", "provisioning"),
        ("provisioning", "active"),
    ]
