from __future__ import annotations

import pytest

from tests.support import PASSWORD

NEW_PASSWORD = "Brand-New-Secret-77"


@pytest.fixture()
def mails(runtime):
    """Platform mail this test queued, read from the real control-plane outbox."""
    from tests.support import PlatformMails

    return PlatformMails(runtime)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, email, password=PASSWORD, **extra):
    return client.post("/v1/auth/login", json={"email": email, "password": password, **extra})


def invite(client, tenant_headers, role, email=None):
    import uuid

    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    resp = client.post("/v1/members", json={"email": email, "role": role}, headers=tenant_headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def accept(client, invitation_id, **body):
    from tests.support import invitation_token, runtime_of

    token = invitation_token(runtime_of(client), invitation_id)
    return client.post(f"/v1/invitations/{token}/accept", json=body)


def member(client, tenant, role) -> dict:
    """An invited person who accepted with a new account (password ``NEW_PASSWORD``); ``id`` is
    their membership id."""
    data = invite(client, tenant.headers, role)
    resp = accept(client, data["id"], password=NEW_PASSWORD)
    assert resp.status_code == 200, resp.get_json()
    data["invitation_id"] = data["id"]
    data["headers"] = bearer(resp.get_json()["access_token"])
    me = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    data["id"] = next(m["id"] for m in me if m["email"] == data["email"])
    return data


def other_tenant_verified(client, handle) -> None:
    """Mark a signed-up owner's e-mail verified, as the signup e-mail's link would."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from shared.models.accounts import User
    from tests.support import runtime_of

    with runtime_of(client).owner_engine.begin() as conn:
        conn.execute(
            update(User)
            .where(User.email == handle.email)
            .values(email_verified_at=datetime.now(UTC))
        )
