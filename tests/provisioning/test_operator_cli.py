"""``flask tenants create`` and ``flask tenants retry``."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from shared.models.accounts import Membership, User
from shared.models.tenants import Tenant
from tests.support import PASSWORD, unique_slug


def _email() -> str:
    return f"op-{uuid.uuid4().hex[:8]}@example.com"


def _row(rt, slug):
    with rt.engine.connect() as conn:
        return conn.execute(select(Tenant).where(Tenant.slug == slug)).first()


def test_create_makes_an_active_tenant_whose_owner_can_log_in(empty_pool, cli, client):
    slug, email = unique_slug("op"), _email()
    result = cli(
        "tenants", "create", "--slug", slug, "--name", "Op Co", "--email", email,
        "--time-zone", "Europe/Lisbon", "--password", PASSWORD,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{slug}: active" in result.output
    assert "password" not in result.output
    row = _row(empty_pool, slug)
    assert (row.status, row.company_name, row.time_zone) == ("active", "Op Co", "Europe/Lisbon")
    resp = client.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD, "tenant": slug}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    token = resp.get_json()["access_token"]
    resp = client.get(f"/t/{slug}/v1/admin/settings", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["contact_email"] == email


def test_create_without_password_prints_a_one_time_password(empty_pool, cli):
    slug, email = unique_slug("op"), _email()
    result = cli("tenants", "create", "--slug", slug, "--name", "Op Co", "--email", email)
    assert result.exit_code == 0, result.output
    assert re.search(rf"owner {re.escape(email)} password .*: \S{{12,}}", result.output)
    with empty_pool.engine.connect() as conn:
        user = conn.execute(select(User).where(User.email == email)).one()
        assert user.must_change_password is True
        role = conn.scalar(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.tenant_id == _row(empty_pool, slug).id
            )
        )
        assert role == "owner"


def test_create_for_an_existing_user_adds_a_membership(empty_pool, cli, tenant):
    slug = unique_slug("op")
    result = cli("tenants", "create", "--slug", slug, "--name", "Second", "--email", tenant.email)
    assert result.exit_code == 0, result.output
    assert "password" not in result.output
    with empty_pool.engine.connect() as conn:
        membership = conn.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(User.email == tenant.email, Membership.tenant_id == _row(empty_pool, slug).id)
        )
        assert membership is not None


def test_create_refuses_a_taken_slug_and_bad_input(empty_pool, cli, tenant):
    result = cli("tenants", "create", "--slug", tenant.slug, "--name", "X", "--email", _email())
    assert result.exit_code != 0
    assert "exists (active)" in result.output
    result = cli("tenants", "create", "--slug", "admin", "--name", "X", "--email", _email())
    assert result.exit_code != 0
    assert "slug is reserved" in result.output
    result = cli(
        "tenants", "create", "--slug", unique_slug(), "--name", "X", "--email", _email(),
        "--time-zone", "Mars/Olympus",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "time_zone is not a known IANA time zone" in result.output


def test_retry_only_applies_to_provision_failed_tenants(empty_pool, cli, tenant):
    result = cli("tenants", "retry", tenant.slug)
    assert result.exit_code != 0
    assert "is active" in result.output
    result = cli("tenants", "retry", "no-such-tenant")
    assert result.exit_code != 0
    assert "No tenant" in result.output


def test_create_again_retries_a_provision_failed_tenant(empty_pool, cli, fail_at):
    slug, email = unique_slug("op"), _email()
    fail_at("seed")
    args = ("tenants", "create", "--slug", slug, "--email", email)
    assert cli(*args, "--name", "First Name").exit_code != 0
    assert _row(empty_pool, slug).status == "provision_failed"
    fail_at("no such step")
    result = cli(*args, "--name", "Second Name")
    assert result.exit_code == 0, result.output
    row = _row(empty_pool, slug)
    assert (row.status, row.company_name) == ("active", "Second Name")
    with empty_pool.engine.connect() as conn:
        owners = conn.scalars(select(Membership.role).where(Membership.tenant_id == row.id)).all()
        assert owners == ["owner"]
