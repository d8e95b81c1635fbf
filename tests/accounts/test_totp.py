"""TOTP 2FA for owners and admins: enrol, verify, login with mfa_code, disable."""

from __future__ import annotations

import time

import pyotp

from tests.accounts.conftest import NEW_PASSWORD, login, member
from tests.support import PASSWORD


def _wrong(code: str) -> str:
    return f"{(int(code) + 500000) % 1000000:06d}"


def _fresh(totp: pyotp.TOTP, used: set) -> str:
    """A valid code of a step (current or one either side) not used yet in this test."""
    now = int(time.time())
    for offset in (0, 1, -1):
        step = (now // totp.interval) + offset
        if step not in used:
            used.add(step)
            return totp.generate_otp(step)
    raise AssertionError("no unused step left")


def test_enrol_verify_login_and_disable(client, tenant):
    enrol = client.post("/v1/auth/2fa/enroll", headers=tenant.headers)
    assert enrol.status_code == 200 and "no-store" in enrol.headers["Cache-Control"]
    data = enrol.get_json()
    assert data["otpauth_uri"].startswith("otpauth://totp/") and "Cleanplane" in data["otpauth_uri"]
    totp = pyotp.TOTP(data["secret"])
    used: set = set()

    # not on until verified
    assert login(client, tenant.email).status_code == 200
    bad = client.post(
        "/v1/auth/2fa/verify", json={"code": _wrong(totp.now())}, headers=tenant.headers
    )
    assert bad.status_code == 422
    ok = client.post(
        "/v1/auth/2fa/verify", json={"code": _fresh(totp, used)}, headers=tenant.headers
    )
    assert ok.status_code == 200 and ok.get_json() == {"totp_enabled": True}

    missing = login(client, tenant.email)
    assert missing.status_code == 401 and missing.get_json()["code"] == "mfa_required"
    wrong = login(client, tenant.email, mfa_code=_wrong(totp.now()))
    assert wrong.status_code == 401
    code = _fresh(totp, used)
    assert login(client, tenant.email, PASSWORD, mfa_code=code).status_code == 200
    replay = login(client, tenant.email, PASSWORD, mfa_code=code)
    assert replay.status_code == 401 and replay.get_json()["code"] == "mfa_required"
    assert client.post("/v1/auth/2fa/enroll", headers=tenant.headers).status_code == 409

    no_code = client.post(
        "/v1/auth/2fa/disable", json={"code": _wrong(totp.now())}, headers=tenant.headers
    )
    assert no_code.status_code == 422
    off = client.post(
        "/v1/auth/2fa/disable", json={"code": _fresh(totp, used)}, headers=tenant.headers
    )
    assert off.status_code == 200 and off.get_json() == {"totp_enabled": False}
    assert login(client, tenant.email).status_code == 200


def test_codes_are_accepted_one_step_either_side_only(rt):
    import uuid

    from controlplane.auth.totp import accept_code

    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = 1_900_000_000.0
    step = int(now) // 30
    user = uuid.uuid4()
    for offset, ok in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        assert accept_code(user, secret, totp.generate_otp(step + offset), now=now) is ok, offset
    assert accept_code(user, secret, totp.generate_otp(step), now=now) is False  # replayed


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
