"""Login, refresh rotation and reuse, logout, password change, roles and permissions."""

import uuid

import pytest
from sqlalchemy import insert, update

from shared.auth.passwords import Passwords
from shared.models.accounts import Membership, User
from tests.support import PASSWORD, signup


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/v1/auth/login", json={"email": email, "password": password, **extra})


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_tokens_for_the_tenant(client, tenant):
    resp = _login(client, tenant.email)
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["tenant"]["slug"] == tenant.slug
    assert client.get("/v1/auth/me", headers=_bearer(data["access_token"])).status_code == 200


def test_wrong_password_and_unknown_user_are_the_same_401(client, tenant):
    a = _login(client, tenant.email, "Wrong-password-123")
    b = _login(client, "nobody@example.com")
    assert a.status_code == b.status_code == 401
    assert a.get_json()["detail"] == b.get_json()["detail"]


def test_refresh_rotates_and_reuse_revokes_the_session(client, tenant):
    first = client.post("/v1/auth/refresh", json={"refresh_token": tenant.refresh_token})
    assert first.status_code == 200
    new = first.get_json()
    assert new["refresh_token"] != tenant.refresh_token
    assert client.get("/v1/auth/me", headers=_bearer(new["access_token"])).status_code == 200

    reuse = client.post("/v1/auth/refresh", json={"refresh_token": tenant.refresh_token})
    assert reuse.status_code == 401
    # the whole session is gone: the newest tokens stop working too
    assert client.get("/v1/auth/me", headers=_bearer(new["access_token"])).status_code == 401
    again = client.post("/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 401


def test_unknown_refresh_token_is_401(client):
    assert client.post("/v1/auth/refresh", json={"refresh_token": "nope"}).status_code == 401


def test_logout_revokes_at_once(client, tenant):
    assert client.get("/v1/auth/me", headers=tenant.headers).status_code == 200
    assert client.post("/v1/auth/logout", headers=tenant.headers).status_code == 204
    assert client.get("/v1/auth/me", headers=tenant.headers).status_code == 401
    assert client.get(tenant.url("/admin/settings"), headers=tenant.headers).status_code == 401


def test_change_password_revokes_other_sessions_only(client, tenant):
    other = _login(client, tenant.email).get_json()
    new_password = "Another-Secret-42x"
    resp = client.post(
        "/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=tenant.headers,
    )
    assert resp.status_code == 204
    assert client.get("/v1/auth/me", headers=tenant.headers).status_code == 200
    assert client.get("/v1/auth/me", headers=_bearer(other["access_token"])).status_code == 401
    assert _login(client, tenant.email).status_code == 401
    assert _login(client, tenant.email, new_password).status_code == 200


def test_change_password_checks_current_and_policy(client, tenant):
    wrong = client.post(
        "/v1/auth/change-password",
        json={"current_password": "Nope-nope-123", "new_password": "Another-Secret-42x"},
        headers=tenant.headers,
    )
    assert wrong.status_code == 401
    weak = client.post(
        "/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=tenant.headers,
    )
    assert weak.status_code == 422


def test_tampered_and_expired_tokens_are_401(client, tenant, runtime):
    from datetime import UTC, datetime, timedelta

    from shared.auth import tokens

    bad = tenant.access_token[:-2] + ("AA" if not tenant.access_token.endswith("AA") else "BB")
    assert client.get("/v1/auth/me", headers=_bearer(bad)).status_code == 401
    old, _ = tokens.issue(
        runtime.settings,
        typ="staff",
        sub=str(uuid.uuid4()),
        tid=tenant.id,
        sid=str(uuid.uuid4()),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    assert client.get("/v1/auth/me", headers=_bearer(old)).status_code == 401
    assert client.get("/v1/auth/me").status_code == 401


def _add_member(runtime, tenant, role) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    pw = Passwords(runtime.settings).hash(PASSWORD)
    with runtime.owner_engine.begin() as conn:
        user_id = conn.scalar(insert(User).values(email=email, password_hash=pw).returning(User.id))
        conn.execute(insert(Membership).values(tenant_id=tenant.id, user_id=user_id, role=role))
    return email


@pytest.mark.parametrize(
    ("role", "view", "admin"),
    [
        ("owner", 200, 200),
        ("admin", 200, 200),
        ("dispatcher", 200, 403),
        ("finance", 200, 403),
        ("viewer", 200, 403),
    ],
)
def test_each_role_against_view_and_admin_endpoints(client, runtime, tenant, role, view, admin):
    email = _add_member(runtime, tenant, role)
    token = _login(client, email).get_json()["access_token"]
    assert client.get("/v1/tenant", headers=_bearer(token)).status_code == view
    resp = client.get(tenant.url("/admin/settings"), headers=_bearer(token))
    assert resp.status_code == admin
    if admin == 403:
        assert resp.get_json()["code"] == "forbidden"


def test_role_change_applies_to_the_next_request(client, runtime, tenant):
    email = _add_member(runtime, tenant, "admin")
    token = _login(client, email).get_json()["access_token"]
    assert client.get(tenant.url("/admin/settings"), headers=_bearer(token)).status_code == 200
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(Membership)
            .where(Membership.tenant_id == uuid.UUID(tenant.id))
            .where(Membership.role == "admin")
            .values(role="viewer")
        )
    runtime.tenants.bump(tenant.id)  # what every role change does after committing
    assert client.get(tenant.url("/admin/settings"), headers=_bearer(token)).status_code == 403


def test_user_with_two_memberships_must_name_the_tenant(client, runtime):
    a = signup(client)
    b = signup(client)
    pw = Passwords(runtime.settings).hash(PASSWORD)
    email = f"multi-{uuid.uuid4().hex[:8]}@example.com"
    with runtime.owner_engine.begin() as conn:
        uid = conn.scalar(insert(User).values(email=email, password_hash=pw).returning(User.id))
        for t in (a, b):
            conn.execute(insert(Membership).values(tenant_id=t.id, user_id=uid, role="viewer"))
    ambiguous = _login(client, email)
    assert ambiguous.status_code == 422
    assert ambiguous.get_json()["errors"][0]["field"] == "tenant"
    chosen = _login(client, email, tenant=b.slug)
    assert chosen.status_code == 200 and chosen.get_json()["tenant"]["slug"] == b.slug


def test_worker_or_operator_token_on_staff_endpoint_is_403(client, runtime, tenant):
    from shared.auth import tokens

    for typ in ("worker", "operator"):
        tok, _ = tokens.issue(
            runtime.settings,
            typ=typ,
            sub=str(uuid.uuid4()),
            tid=tenant.id,
            sid=str(uuid.uuid4()),
            ttl=None if typ == "worker" else __import__("datetime").timedelta(minutes=5),
        )
        assert client.get(tenant.url("/admin/settings"), headers=_bearer(tok)).status_code == 403
        assert client.get("/v1/tenant", headers=_bearer(tok)).status_code == 403
