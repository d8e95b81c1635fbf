"""Secrets at rest and in logs (SPEC §8): TOTP and export signing secrets encrypted with
DATA_ENCRYPTION_KEYS, ``flask keys rotate``, no raw tokens in outbox rows or logs."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from controlplane.mail.models import PlatformOutboxMessage
from controlplane.mail.service import PlatformEmailSender
from shared import crypto
from shared.logs import JsonFormatter, RedactingGunicornLogger, redact_text
from shared.models.accounts import User
from shared.outbox.delivery import Message
from shared.runtime import Runtime, use_runtime
from shared.tenancy import tenant_context
from tests.accounts.conftest import login
from tests.support import PASSWORD


def _stored_totp(runtime, email) -> str:
    with runtime.engine.connect() as conn:
        return conn.scalar(select(User.totp_secret).where(User.email == email))


def _keys(runtime) -> tuple[str, ...]:
    return tuple(runtime.settings.data_encryption_keys)


def _enable_totp(client, tenant) -> str:
    secret = client.post("/v1/auth/2fa/enroll", headers=tenant.headers).get_json()["secret"]
    code = pyotp.TOTP(secret).now()
    resp = client.post("/v1/auth/2fa/verify", json={"code": code}, headers=tenant.headers)
    assert resp.status_code == 200
    return secret


def test_totp_secret_is_stored_encrypted(client, runtime, tenant):
    secret = _enable_totp(client, tenant)
    stored = _stored_totp(runtime, tenant.email)
    assert secret not in stored and crypto.is_token(stored)
    assert crypto.decrypt(stored, _keys(runtime)) == secret
    other_key = (Fernet.generate_key().decode(),)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(stored, other_key)


def test_a_plaintext_totp_secret_left_from_before_still_logs_in(client, runtime, tenant):
    secret = pyotp.random_base32()
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(User)
            .where(User.email == tenant.email)
            .values(totp_secret=secret, totp_enabled=True)
        )
    resp = login(client, tenant.email, PASSWORD, mfa_code=pyotp.TOTP(secret).now())
    assert resp.status_code == 200, resp.get_json()


def test_keys_rotate_reencrypts_everything_with_the_newest_key(
    client, runtime, wsgi_app, tenant, other_tenant
):
    old = _keys(runtime)
    new = Fernet.generate_key().decode()
    secret = _enable_totp(client, tenant)
    plain = pyotp.random_base32()
    with runtime.owner_engine.begin() as conn:
        conn.execute(update(User).where(User.email == other_tenant.email).values(totp_secret=plain))
    before = client.get(tenant.url("/admin/exports/signing-secret"), headers=tenant.headers)
    legacy = before.get_json()["secret"]
    client.post("/v1/auth/password-reset", json={"email": tenant.email})  # a sealed queued mail

    app = wsgi_app.control_plane
    rotated = Runtime(runtime.settings.replace(data_encryption_keys=[new, *old]))
    try:
        app.extensions["cleanplane"] = rotated
        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "tenants" in result.output
        only_new = (new,)
        assert crypto.decrypt(_stored_totp(runtime, tenant.email), only_new) == secret
        assert crypto.decrypt(_stored_totp(runtime, other_tenant.email), only_new) == plain
        with use_runtime(rotated), tenant_context(rotated.tenants.by_slug(tenant.slug)):
            from shared import db
            from tenantapp.exports.service import signing_secret
            from tenantapp.settings.models import TenantSettings

            stored = db.session().scalar(select(TenantSettings.export_signing_secret))
            assert crypto.decrypt(stored, only_new) == legacy  # receivers keep verifying
            assert signing_secret(tenant.id) == legacy
        with runtime.engine.connect() as conn:
            payload = conn.scalar(
                select(PlatformOutboxMessage.payload)
                .where(PlatformOutboxMessage.topic == "password_reset")
                .order_by(PlatformOutboxMessage.id.desc())
                .limit(1)
            )
        assert "reset_url" in json.loads(crypto.decrypt(payload["sealed"], only_new))
    finally:
        # rotate back so the rest of the session (keys = old) reads every row again
        app.extensions["cleanplane"] = Runtime(
            runtime.settings.replace(data_encryption_keys=[*old, new])
        )
        back = app.test_cli_runner().invoke(args=["keys", "rotate"])
        app.extensions["cleanplane"].dispose()
        app.extensions["cleanplane"] = runtime
        rotated.dispose()
    assert back.exit_code == 0, back.output
    assert crypto.decrypt(_stored_totp(runtime, tenant.email), old) == secret
    after = client.get(tenant.url("/admin/exports/signing-secret"), headers=tenant.headers)
    assert after.get_json()["secret"] == legacy


def test_reset_link_is_sealed_in_the_outbox_and_rendered_at_send_time(client, rt, tenant, mails):
    client.post("/v1/auth/password-reset", json={"email": tenant.email})
    (mail,) = [m for m in mails if m["template"] == "password_reset"]
    token = mail["context"]["token"]
    assert token not in json.dumps(mail["stored"]) and "reset_url" not in mail["stored"]
    sent = []

    class Capture:
        def send(self, outgoing):
            sent.append(outgoing)
            return "captured"

    sender = PlatformEmailSender()
    sender.transport = Capture()
    sender.send(
        Message(
            id=1,
            dedupe_key="x",
            kind="email",
            topic="password_reset",
            recipient=tenant.email,
            payload=mail["stored"],
            attempts=1,
            replay_count=0,
            created_at=datetime.now(UTC),
        ),
        datetime.now(UTC),
    )
    assert f"reset-password?token={token}" in sent[0].text


def test_verify_email_link_is_sealed_too(client, runtime, mails):
    from tests.support import signup

    handle = signup(client)
    client.post("/v1/auth/verify-email/resend", headers=handle.headers)
    verify = [m for m in mails if m["template"] == "verify_email"]
    assert verify, "signup or resend queues a verification e-mail"
    for mail in verify:
        assert mail["context"]["token"] not in json.dumps(mail["stored"])


def test_logs_redact_token_query_values_and_invitation_paths():
    line = "GET /reset-password?token=abc.DEF_123&next=/x HTTP/1.1 /invitations/SeCrEt-tok_en"
    out = redact_text(line)
    assert "abc.DEF_123" not in out and "SeCrEt-tok_en" not in out
    assert "token=[redacted]&next=/x" in out and "/invitations/[redacted]" in out
    assert "invite_token=[redacted]" in redact_text("/work/invite?invite_token=zzz")


def test_gunicorn_access_log_redacts_tokens():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    logger = RedactingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/verify-email?token=raw-secret-1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/invitations/raw-secret-2",
        "QUERY_STRING": "token=raw-secret-1",
        "HTTP_REFERER": "https://x/reset-password?token=raw-secret-3",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(resp, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    assert "raw-secret" not in json.dumps({k: v for k, v in atoms.items() if isinstance(v, str)})


def test_app_access_log_never_shows_an_invitation_token(client, tenant, caplog):
    caplog.set_level(logging.INFO, logger="cleanplane.access")
    token = uuid.uuid4().hex
    client.get(f"/invitations/{token}")
    formatted = [JsonFormatter().format(r) for r in caplog.records if r.name == "cleanplane.access"]
    assert formatted and all(token not in line for line in formatted)


def test_sql_parameters_never_reach_exception_messages(runtime):
    secret = f"secret-parameter-{uuid.uuid4().hex}"
    with pytest.raises(DBAPIError) as err, runtime.engine.connect() as conn:
        # the statement fails for a reason unrelated to the value (Postgres itself never echoes
        # it), so only SQLAlchemy's "[parameters: ...]" could show it
        conn.execute(text("SELECT CAST(:p AS text), 1 / 0"), {"p": secret})
    assert secret not in str(err.value)
    assert "hidden due to hide_parameters" in str(err.value)
