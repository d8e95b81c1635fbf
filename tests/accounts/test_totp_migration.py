"""cp0009_security encrypts TOTP secrets stored in plain text before it (a fresh database)."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared import crypto
from shared.db import make_engine
from shared.dbsetup import setup_database
from shared.migrations import upgrade_public
from tests.support import ADMIN_URL, drop_database_later


@pytest.fixture()
def fresh_owner_engine():
    name = f"cleanplane_mig_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=name)
    app_url = host.set(username="cleanplane_app", password="app-pw").render_as_string(False)
    owner_url = host.set(username="cleanplane_owner", password="owner-pw").render_as_string(False)
    setup_database(ADMIN_URL, app_url, owner_url)
    engine = make_engine(owner_url, pool_size=1)
    yield engine
    engine.dispose()
    drop_database_later(name)


def test_upgrade_encrypts_plaintext_totp_secrets(fresh_owner_engine, monkeypatch):
    key = Fernet.generate_key().decode()
    upgrade_public(fresh_owner_engine, "cp0008_opsrest")
    with fresh_owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO public.users (id, email, password_hash, totp_secret, totp_enabled,"
                " must_change_password) VALUES (:id, 'm@example.com', 'x', :s, true, false)"
            ),
            {"id": uuid.uuid4(), "s": "JBSWY3DPEHPK3PXP"},
        )
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", key)
    upgrade_public(fresh_owner_engine)
    with fresh_owner_engine.connect() as conn:
        stored = conn.scalar(text("SELECT totp_secret FROM public.users"))
        assert conn.scalar(text("SELECT count(*) FROM public.invitations")) == 0
    assert crypto.is_token(stored) and crypto.decrypt(stored, (key,)) == "JBSWY3DPEHPK3PXP"
