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


def member(client, tenant, role) -> dict:
    """An invited member who has logged in and replaced the temporary password."""
    data = invite(client, tenant.headers, role)
    token = login(client, data["email"], data["temp_password"]).get_json()["access_token"]
    resp = client.post(
        "/v1/auth/change-password",
        json={"current_password": data["temp_password"], "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert resp.status_code == 204
    data["headers"] = bearer(token)
    return data
