"""Invitations (SPEC §4.1): no account pre-hijack, single-use 7-day links, proof of identity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select, update

from controlplane.accounts.invitations import INVITATION_TTL, invitation_usable
from controlplane.accounts.models import Invitation
from shared.models.accounts import User
from tests.accounts.conftest import (
    NEW_PASSWORD,
    bearer,
    invite,
    login,
    other_tenant_verified,
)
from tests.support import PASSWORD, invitation_token, signup

SQUATTER_PASSWORD = "Squatter-Owns-It-1"


def _token(runtime, invitation) -> str:
    return invitation_token(runtime, invitation["id"])


def _accept(client, token, headers=None, **body):
    return client.post(f"/v1/invitations/{token}/accept", json=body, headers=headers or {})


def test_pre_hijack_squatter_cannot_enter_the_inviting_workspace(client, runtime, tenant):
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    # 1. the squatter signs up with the victim's address (never verified) and turns on TOTP
    squat = signup(client, email=victim, password=SQUATTER_PASSWORD)
    secret = client.post("/v1/auth/2fa/enroll", headers=squat.headers).get_json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert (
        client.post("/v1/auth/2fa/verify", json={"code": code}, headers=squat.headers).status_code
        == 200
    )
    # 2. a real workspace invites the victim's address
    inv = invite(client, tenant.headers, "admin", email=victim)
    # 3. the squatter's password does not reach the inviting workspace
    tried = login(
        client,
        victim,
        SQUATTER_PASSWORD,
        tenant=tenant.slug,
        mfa_code=pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30)),
    )
    assert tried.status_code == 401
    members = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    assert victim not in {m["email"] for m in members}
    # 4. the victim opens the link: the account is unverified, so a new password is forced
    token = _token(runtime, inv)
    shown = client.get(f"/v1/invitations/{token}")
    assert shown.status_code == 200 and shown.get_json()["account"] == "unverified"
    assert _accept(client, token).status_code == 422  # a new password is required
    done = _accept(client, token, password=NEW_PASSWORD)
    assert done.status_code == 200 and done.get_json()["tenant"]["slug"] == tenant.slug
    # the squatter's password, TOTP and sessions are gone; the victim owns the address
    assert login(client, victim, SQUATTER_PASSWORD, tenant=tenant.slug).status_code == 401
    assert client.get("/v1/auth/me", headers=squat.headers).status_code == 401
    ok = login(client, victim, NEW_PASSWORD, tenant=tenant.slug)
    assert ok.status_code == 200, ok.get_json()  # no mfa_code needed: TOTP was cleared
    me = client.get("/v1/auth/me", headers=bearer(ok.get_json()["access_token"])).get_json()
    assert me["role"] == "admin" and me["user"]["email_verified"] is True
    assert me["user"]["totp_enabled"] is False


def test_link_used_twice_is_404_invitation_invalid(client, runtime, tenant):
    inv = invite(client, tenant.headers, "viewer")
    token = _token(runtime, inv)
    assert _accept(client, token, password=NEW_PASSWORD).status_code == 200
    for resp in (client.get(f"/v1/invitations/{token}"), _accept(client, token, password="x")):
        assert resp.status_code == 404
        assert resp.get_json()["code"] == "invitation_invalid"
        assert resp.mimetype == "application/problem+json"
    garbage = client.get("/v1/invitations/not-a-token")
    assert garbage.status_code == 404 and garbage.get_json()["code"] == "invitation_invalid"


def test_invitation_is_valid_for_exactly_seven_days(client, runtime, tenant):
    before = datetime.now(UTC)
    inv = invite(client, tenant.headers, "viewer")
    expires = datetime.fromisoformat(inv["expires_at"])
    assert before + INVITATION_TTL <= expires <= datetime.now(UTC) + INVITATION_TTL
    with runtime.engine.connect() as conn:
        row = conn.execute(select(Invitation).where(Invitation.id == uuid.UUID(inv["id"]))).first()
    assert invitation_usable(row, row.expires_at - timedelta(microseconds=1))
    assert not invitation_usable(row, row.expires_at)
    # over HTTP: a link whose 7 days are over is refused
    with runtime.owner_engine.begin() as conn:
        conn.execute(
            update(Invitation)
            .where(Invitation.id == uuid.UUID(inv["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    token = _token(runtime, inv)
    resp = _accept(client, token, password=NEW_PASSWORD)
    assert resp.status_code == 404 and resp.get_json()["code"] == "invitation_invalid"


def test_new_account_chooses_a_password_and_is_verified_by_the_link(client, runtime, tenant):
    inv = invite(client, tenant.headers, "dispatcher")
    token = _token(runtime, inv)
    shown = client.get(f"/v1/invitations/{token}").get_json()
    assert shown["account"] == "new" and shown["tenant"]["slug"] == tenant.slug
    assert shown["inviter"] == tenant.email and shown["role"] == "dispatcher"
    missing = _accept(client, token)
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "password"
    weak = _accept(client, token, password="short")
    assert weak.status_code == 422
    done = _accept(client, token, password=NEW_PASSWORD)
    assert done.status_code == 200 and done.get_json()["role"] == "dispatcher"
    assert "no-store" in done.headers["Cache-Control"]
    with runtime.engine.connect() as conn:
        user = conn.execute(select(User).where(User.email == inv["email"])).first()
    assert user.email_verified_at is not None and user.must_change_password is False


def test_existing_account_must_prove_it_is_that_person(client, runtime, tenant, other_tenant):
    other_tenant_verified(client, other_tenant)
    inv = invite(client, tenant.headers, "viewer", email=other_tenant.email)
    token = _token(runtime, inv)
    assert client.get(f"/v1/invitations/{token}").get_json()["account"] == "existing"
    assert _accept(client, token).status_code == 401
    assert _accept(client, token, password="Wrong-Password-123").status_code == 401
    stranger = signup(client)
    assert _accept(client, token, headers=stranger.headers).status_code == 401
    # signed in as that e-mail is proof enough, no password needed
    done = _accept(client, token, headers=other_tenant.headers)
    assert done.status_code == 200 and done.get_json()["tenant"]["slug"] == tenant.slug
    assert login(client, other_tenant.email, PASSWORD, tenant=tenant.slug).status_code == 200


def test_existing_account_may_give_its_password(client, runtime, tenant, other_tenant):
    other_tenant_verified(client, other_tenant)
    inv = invite(client, tenant.headers, "finance", email=other_tenant.email)
    done = _accept(client, _token(runtime, inv), password=PASSWORD)
    assert done.status_code == 200 and done.get_json()["role"] == "finance"


def test_a_new_invitation_replaces_the_pending_one(client, runtime, tenant):
    first = invite(client, tenant.headers, "viewer")
    second = invite(client, tenant.headers, "admin", email=first["email"])
    old = _accept(client, _token(runtime, first), password=NEW_PASSWORD)
    assert old.status_code == 404 and old.get_json()["code"] == "invitation_invalid"
    new = _accept(client, _token(runtime, second), password=NEW_PASSWORD)
    assert new.status_code == 200 and new.get_json()["role"] == "admin"


def test_the_outbox_never_holds_the_raw_link(client, runtime, tenant, mails):
    inv = invite(client, tenant.headers, "viewer")
    token = _token(runtime, inv)
    (mail,) = [m for m in mails if m["template"] == "staff_invite"]
    assert token in mail["context"]["accept_url"]  # the sender renders the link
    assert token not in str(mail["stored"]) and "accept_url" not in mail["stored"]
    with runtime.engine.connect() as conn:
        stored = conn.scalar(select(Invitation.token_hash).where(Invitation.id == inv["id"]))
    assert stored != token and len(stored) == 64


def test_acceptance_page_is_plain_html_without_script(client, runtime, tenant):
    inv = invite(client, tenant.headers, "viewer")
    token = _token(runtime, inv)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<script" not in html.lower() and 'name="password"' in html
    assert "<label" in html and tenant.slug in html
    csp = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"
    weak = client.post(f"/invitations/{token}", data={"password": "short"})
    assert weak.status_code == 422 and "password" in weak.get_data(as_text=True)
    done = client.post(f"/invitations/{token}", data={"password": NEW_PASSWORD})
    assert done.status_code == 200 and "You joined" in done.get_data(as_text=True)
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 404 and "not valid" in again.get_data(as_text=True)
    assert login(client, inv["email"], NEW_PASSWORD, tenant=tenant.slug).status_code == 200
