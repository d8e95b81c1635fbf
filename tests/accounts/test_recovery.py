"""Password reset (single use, 30 min, no probing) and e-mail verification."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from controlplane.accounts.models import PasswordResetToken
from controlplane.accounts.recovery import RESET_TTL, reset_token_usable
from shared.auth.tokens import hash_token
from shared.models.accounts import User
from tests.accounts.conftest import NEW_PASSWORD, login
from tests.support import PASSWORD


def _request(client, email, mails) -> str | None:
    before = len(mails)
    resp = client.post("/v1/auth/password-reset", json={"email": email})
    assert resp.status_code == 202
    assert resp.get_json() == {
        "detail": "If this address has an account, a reset link is on its way."
    }
    new = [m for m in mails[before:] if m["template"] == "password_reset"]
    return new[0]["context"]["token"] if new else None


def test_reset_request_always_202_and_mails_only_real_accounts(client, tenant, mails):
    assert _request(client, f"nobody-{uuid.uuid4().hex[:6]}@example.com", mails) is None
    token = _request(client, tenant.email.upper(), mails)
    assert token
    (mail,) = [m for m in mails if m["template"] == "password_reset"]
    assert mail["to"] == tenant.email and token in mail["context"]["reset_url"]
    assert mail["context"]["expires_minutes"] == 30


def test_reset_confirm_sets_password_revokes_sessions_and_is_single_use(client, tenant, mails):
    token = _request(client, tenant.email, mails)
    resp = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert resp.status_code == 204
    assert client.get("/v1/auth/me", headers=tenant.headers).status_code == 401
    assert login(client, tenant.email, PASSWORD).status_code == 401
    assert login(client, tenant.email, NEW_PASSWORD).status_code == 200
    again = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": "Other-Secret-123"}
    )
    assert again.status_code == 400


def test_a_weak_password_is_422_and_keeps_the_token(client, tenant, mails):
    token = _request(client, tenant.email, mails)
    weak = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": "short"}
    )
    assert weak.status_code == 422
    ok = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 204


def test_an_expired_token_is_refused(client, runtime, tenant, mails):
    token = _request(client, tenant.email, mails)
    with runtime.owner_engine.begin() as conn:
        expires = conn.scalar(
            select(PasswordResetToken.expires_at).where(
                PasswordResetToken.token_hash == hash_token(token)
            )
        )
        created = conn.scalar(
            select(PasswordResetToken.created_at).where(
                PasswordResetToken.token_hash == hash_token(token)
            )
        )
        assert abs((expires - created) - RESET_TTL) < timedelta(seconds=5)
        conn.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.token_hash == hash_token(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    resp = client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert resp.status_code == 400


def test_reset_token_is_valid_for_exactly_30_minutes():
    issued = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    row = PasswordResetToken(expires_at=issued + RESET_TTL, used_at=None)
    assert timedelta(minutes=30) == RESET_TTL
    assert reset_token_usable(row, issued + RESET_TTL - timedelta(microseconds=1))
    assert not reset_token_usable(row, issued + RESET_TTL)
    row.used_at = issued
    assert not reset_token_usable(row, issued)


def test_an_unknown_token_is_400(client):
    resp = client.post(
        "/v1/auth/password-reset/confirm", json={"token": "nope", "new_password": NEW_PASSWORD}
    )
    assert resp.status_code == 400


def test_verify_email_flow(client, runtime, tenant, mails):
    assert (
        client.get("/v1/auth/me", headers=tenant.headers).get_json()["user"]["email_verified"]
        is False
    )
    assert client.post("/v1/auth/verify-email/resend", headers=tenant.headers).status_code == 202
    (mail,) = [m for m in mails if m["template"] == "verify_email"]
    token = mail["context"]["token"]
    assert mail["to"] == tenant.email and token in mail["context"]["verify_url"]
    bad = client.post("/v1/auth/verify-email", json={"token": token[:-3] + "xyz"})
    assert bad.status_code == 400
    ok = client.post("/v1/auth/verify-email", json={"token": token})
    assert ok.status_code == 200 and ok.get_json() == {"email_verified": True}
    assert (
        client.get("/v1/auth/me", headers=tenant.headers).get_json()["user"]["email_verified"]
        is True
    )
    # already verified: no further mail
    client.post("/v1/auth/verify-email/resend", headers=tenant.headers)
    assert len([m for m in mails if m["template"] == "verify_email"]) == 1


def test_verification_token_for_an_old_address_is_refused(client, runtime, tenant, mails):
    client.post("/v1/auth/verify-email/resend", headers=tenant.headers)
    token = mails[-1]["context"]["token"]
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(User)
            .where(User.email == tenant.email)
            .values(email=f"changed-{uuid.uuid4().hex[:6]}@example.com")
        )
    assert client.post("/v1/auth/verify-email", json={"token": token}).status_code == 400
