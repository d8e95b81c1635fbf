"""Members: invitations, roles and owner rules, deactivation, isolation."""

from __future__ import annotations

import uuid

import pytest

from tests.accounts.conftest import (
    NEW_PASSWORD,
    accept,
    invite,
    login,
    member,
    other_tenant_verified,
)


def test_invite_creates_an_invitation_and_no_membership(client, tenant, mails):
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    resp = client.post(
        "/v1/members", json={"email": email, "role": "dispatcher"}, headers=tenant.headers
    )
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["email"] == email and data["role"] == "dispatcher"
    assert data["status"] == "invited" and data["expires_at"]
    assert "temp_password" not in data and "user_id" not in data
    (mail,) = [m for m in mails if m["template"] == "staff_invite"]
    assert mail["to"] == email and "/invitations/" in mail["context"]["accept_url"]
    listed = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    assert {m["email"] for m in listed} == {tenant.email}
    assert login(client, email, NEW_PASSWORD).status_code == 401


def test_only_admins_manage_members(client, tenant):
    dispatcher = member(client, tenant, "dispatcher")
    assert client.get("/v1/members", headers=dispatcher["headers"]).status_code == 403
    resp = client.post(
        "/v1/members",
        json={"email": "x@example.com", "role": "viewer"},
        headers=dispatcher["headers"],
    )
    assert resp.status_code == 403


def test_only_an_owner_makes_or_removes_an_owner(client, tenant):
    admin = member(client, tenant, "admin")
    resp = client.post(
        "/v1/members",
        json={"email": f"o-{uuid.uuid4().hex[:6]}@example.com", "role": "owner"},
        headers=admin["headers"],
    )
    assert resp.status_code == 403
    viewer = member(client, tenant, "viewer")
    promote = client.post(
        f"/v1/members/{viewer['id']}/role", json={"role": "owner"}, headers=admin["headers"]
    )
    assert promote.status_code == 403
    owners = [
        m
        for m in client.get("/v1/members", headers=tenant.headers).get_json()["items"]
        if m["role"] == "owner"
    ]
    owner_id = owners[0]["id"]
    assert (
        client.post(
            f"/v1/members/{owner_id}/role", json={"role": "viewer"}, headers=admin["headers"]
        ).status_code
        == 403
    )
    assert (
        client.post(f"/v1/members/{owner_id}/deactivate", headers=admin["headers"]).status_code
        == 403
    )
    # the owner can promote
    ok = client.post(
        f"/v1/members/{viewer['id']}/role", json={"role": "owner"}, headers=tenant.headers
    )
    assert ok.status_code == 200 and ok.get_json()["role"] == "owner"


def test_the_last_owner_cannot_be_demoted(client, tenant):
    items = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    (owner,) = [m for m in items if m["role"] == "owner"]
    resp = client.post(
        f"/v1/members/{owner['id']}/role", json={"role": "admin"}, headers=tenant.headers
    )
    assert resp.status_code == 409
    second = member(client, tenant, "viewer")
    client.post(f"/v1/members/{second['id']}/role", json={"role": "owner"}, headers=tenant.headers)
    resp = client.post(
        f"/v1/members/{owner['id']}/role", json={"role": "admin"}, headers=tenant.headers
    )
    assert resp.status_code == 200
    # the demoted owner lost owner rights on the very next request
    again = client.post(
        f"/v1/members/{second['id']}/role", json={"role": "viewer"}, headers=tenant.headers
    )
    assert again.status_code == 403


def test_role_change_applies_to_the_next_request(client, tenant):
    admin = member(client, tenant, "admin")
    assert client.get("/v1/members", headers=admin["headers"]).status_code == 200
    resp = client.post(
        f"/v1/members/{admin['id']}/role", json={"role": "viewer"}, headers=tenant.headers
    )
    assert resp.status_code == 200
    assert client.get("/v1/members", headers=admin["headers"]).status_code == 403
    assert client.get("/v1/tenant", headers=admin["headers"]).status_code == 200


def test_deactivate_revokes_sessions_at_once(client, tenant):
    viewer = member(client, tenant, "viewer")
    assert client.get("/v1/tenant", headers=viewer["headers"]).status_code == 200
    resp = client.post(f"/v1/members/{viewer['id']}/deactivate", headers=tenant.headers)
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert client.get("/v1/tenant", headers=viewer["headers"]).status_code == 401
    assert login(client, viewer["email"], NEW_PASSWORD).status_code == 401


def test_cannot_deactivate_yourself(client, tenant):
    items = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    (me,) = [m for m in items if m["email"] == tenant.email]
    assert (
        client.post(f"/v1/members/{me['id']}/deactivate", headers=tenant.headers).status_code == 409
    )


def test_duplicate_invite_is_409_and_reinvite_reactivates(client, tenant):
    data = member(client, tenant, "viewer")
    dup = client.post(
        "/v1/members", json={"email": data["email"], "role": "viewer"}, headers=tenant.headers
    )
    assert dup.status_code == 409
    client.post(f"/v1/members/{data['id']}/deactivate", headers=tenant.headers)
    again = invite(client, tenant.headers, "finance", email=data["email"])
    assert again["status"] == "invited"
    resp = accept(client, again["id"], password=NEW_PASSWORD)
    assert resp.status_code == 200 and resp.get_json()["role"] == "finance"
    listed = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    (back,) = [m for m in listed if m["email"] == data["email"]]
    assert back["id"] == data["id"] and back["role"] == "finance" and back["active"] is True


def test_inviting_a_user_of_another_workspace_keeps_their_password(client, tenant, other_tenant):
    from tests.support import PASSWORD

    resp = client.post(
        "/v1/members", json={"email": other_tenant.email, "role": "viewer"}, headers=tenant.headers
    )
    assert resp.status_code == 201 and resp.get_json()["status"] == "invited"
    # nothing to log in to until the invitation is accepted
    assert login(client, other_tenant.email, PASSWORD, tenant=tenant.slug).status_code == 401
    other_tenant_verified(client, other_tenant)
    assert accept(client, resp.get_json()["id"], password=PASSWORD).status_code == 200
    joined = login(client, other_tenant.email, PASSWORD, tenant=tenant.slug)
    assert joined.status_code == 200 and joined.get_json()["tenant"]["slug"] == tenant.slug


def test_member_list_paginates(client, tenant):
    for role in ("viewer", "finance"):
        member(client, tenant, role)
    first = client.get("/v1/members?limit=2", headers=tenant.headers).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(
        f"/v1/members?limit=2&cursor={first['next_cursor']}", headers=tenant.headers
    ).get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert client.get("/v1/members?cursor=garbage", headers=tenant.headers).status_code == 422


@pytest.mark.parametrize("action", ["role", "deactivate"])
def test_another_tenants_member_ids_get_nothing(client, tenant, other_tenant, action):
    theirs = member(client, other_tenant, "viewer")
    url = f"/v1/members/{theirs['id']}/{action}"
    body = {"role": "admin"} if action == "role" else None
    resp = client.post(url, json=body, headers=tenant.headers)
    assert resp.status_code == 404
    unknown = client.post(f"/v1/members/{uuid.uuid4()}/{action}", json=body, headers=tenant.headers)
    assert unknown.status_code == 404
    listed = client.get("/v1/members", headers=other_tenant.headers).get_json()["items"]
    assert {m["id"]: m for m in listed}[theirs["id"]]["role"] == "viewer"
    assert {m["id"]: m for m in listed}[theirs["id"]]["active"] is True
    mine = client.get("/v1/members", headers=tenant.headers).get_json()["items"]
    assert theirs["email"] not in {m["email"] for m in mine}
