"""TOTP 2FA for owners and admins: enrol, verify, login with mfa_code, disable."""

from __future__ import annotations

import pyotp

from tests.accounts.conftest import NEW_PASSWORD, login, member
from tests.support import PASSWORD


def _wrong(code: str) -> str:
    return f"{(int(code) + 500000) % 1000000:06d}"


def test_enrol_verify_login_and_disable(client, tenant):
    enrol = client.post("/v1/auth/2fa/enroll", headers=tenant.headers)
    assert enrol.status_code == 200 and "no-store" in enrol.headers["Cache-Control"]
    data = enrol.get_json()
    assert data["otpauth_uri"].startswith("otpauth://totp/") and "Cleanplane" in data["otpauth_uri"]
    totp = pyotp.TOTP(data["secret"])

    # not on until verified
    assert login(client, tenant.email).status_code == 200
    bad = client.post(
        "/v1/auth/2fa/verify", json={"code": _wrong(totp.now())}, headers=tenant.headers
    )
    assert bad.status_code == 422
    ok = client.post("/v1/auth/2fa/verify", json={"code": totp.now()}, headers=tenant.headers)
    assert ok.status_code == 200 and ok.get_json() == {"totp_enabled": True}

    missing = login(client, tenant.email)
    assert missing.status_code == 401 and missing.get_json()["code"] == "mfa_required"
    wrong = login(client, tenant.email, mfa_code=_wrong(totp.now()))
    assert wrong.status_code == 401
    assert login(client, tenant.email, PASSWORD, mfa_code=totp.now()).status_code == 200
    assert client.post("/v1/auth/2fa/enroll", headers=tenant.headers).status_code == 409

    no_code = client.post(
        "/v1/auth/2fa/disable", json={"code": _wrong(totp.now())}, headers=tenant.headers
    )
    assert no_code.status_code == 422
    off = client.post("/v1/auth/2fa/disable", json={"code": totp.now()}, headers=tenant.headers)
    assert off.status_code == 200 and off.get_json() == {"totp_enabled": False}
    assert login(client, tenant.email).status_code == 200


def test_verify_before_enrol_is_409(client, tenant):
    resp = client.post("/v1/auth/2fa/verify", json={"code": "123456"}, headers=tenant.headers)
    assert resp.status_code == 409


def test_only_owners_and_admins_use_2fa(client, tenant):
    viewer = member(client, tenant, "viewer")
    assert client.post("/v1/auth/2fa/enroll", headers=viewer["headers"]).status_code == 403
    admin = member(client, tenant, "admin")
    assert client.post("/v1/auth/2fa/enroll", headers=admin["headers"]).status_code == 200
    assert login(client, admin["email"], NEW_PASSWORD).status_code == 200


def test_malformed_code_is_422(client, tenant):
    client.post("/v1/auth/2fa/enroll", headers=tenant.headers)
    resp = client.post("/v1/auth/2fa/verify", json={"code": "12ab"}, headers=tenant.headers)
    assert resp.status_code == 422
