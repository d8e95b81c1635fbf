"""Settings → Members (issue #30 item 7): the control plane's members and invitations through
``shared.members_bridge`` — invite, change a role, deactivate, revoke — with the API's schemas,
rules and permission (admin); another workspace's member and invitation ids are 404."""

from __future__ import annotations

import html
import re

from sqlalchemy import insert

from shared.auth.passwords import Passwords
from shared.models.accounts import Membership, User
from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.console2.test_settings_pages import error_of
from tests.support import PASSWORD


def _members(client, tenant) -> dict[str, dict]:
    resp = client.get("/v1/members", headers=tenant.headers)
    assert resp.status_code == 200
    return {m["email"]: m for m in resp.get_json()["items"]}


def _token(client, tenant) -> str:
    return csrf_of(client.get(console(tenant, "/settings/members")).text)


def _post(client, tenant, tail, data=None):
    return post_form(
        client, console(tenant, f"/settings{tail}"), data or {}, token=_token(client, tenant)
    )


def _invitation_ids(html: str) -> list[str]:
    return re.findall(r"/settings/invitations/([0-9a-f-]{36})/revoke", html)


def test_invite_change_role_deactivate_and_revoke(client, runtime, tenant):
    dispatcher = add_member(runtime, tenant, "dispatcher")
    signed_in(client, tenant)
    page = client.get(console(tenant, "/settings/members")).text
    assert tenant.email in page and dispatcher in page and "(you)" in page
    bad = _post(client, tenant, "/members/invite", {"email": "nope", "role": "dispatcher"})
    assert bad.status_code == 422 and error_of(bad.text, "f-email") == "Not a valid email address."
    role = _post(client, tenant, "/members/invite", {"email": "x@example.com", "role": "boss"})
    assert role.status_code == 422 and error_of(role.text, "f-role").startswith("Must be one of")
    member = _post(client, tenant, "/members/invite", {"email": dispatcher, "role": "viewer"})
    assert member.status_code == 409 and "That person is already a member." in member.text
    ok = _post(
        client, tenant, "/members/invite", {"email": "New.Hire@Example.com", "role": "finance"}
    )
    assert ok.status_code == 303, ok.text[:500]
    page = client.get(ok.headers["Location"]).text
    assert "Invitation sent." in page and "new.hire@example.com · Finance" in page
    (invitation,) = _invitation_ids(page)

    target = _members(client, tenant)[dispatcher]
    changed = _post(client, tenant, f"/members/{target['id']}/role", {"role": "finance"})
    assert changed.status_code == 303
    assert _members(client, tenant)[dispatcher]["role"] == "finance"
    off = _post(client, tenant, f"/members/{target['id']}/deactivate")
    assert off.status_code == 303
    assert _members(client, tenant)[dispatcher]["active"] is False

    revoked = _post(client, tenant, f"/invitations/{invitation}/revoke")
    assert revoked.status_code == 303
    assert _invitation_ids(client.get(revoked.headers["Location"]).text) == []
    again = _post(client, tenant, f"/invitations/{invitation}/revoke")
    assert again.status_code == 404


def test_the_apis_rules_are_messages(client, runtime, tenant):
    admin = add_member(runtime, tenant, "admin")
    signed_in(client, tenant, admin)
    me = _members(client, tenant)[admin]
    myself = _post(client, tenant, f"/members/{me['id']}/deactivate")
    assert myself.status_code == 409 and "You cannot deactivate yourself." in myself.text
    owner = _members(client, tenant)[tenant.email]
    demote = _post(client, tenant, f"/members/{owner['id']}/role", {"role": "viewer"})
    assert demote.status_code == 403 and "Only an owner can make or remove an owner." in demote.text
    invite = _post(client, tenant, "/members/invite", {"email": "o@example.com", "role": "owner"})
    assert invite.status_code == 403 and "Only an owner can add an owner." in invite.text
    assert _members(client, tenant)[tenant.email]["role"] == "owner"


def test_a_dispatcher_cannot_invite(client, runtime, tenant):
    token = signed_in(client, tenant, add_member(runtime, tenant, "dispatcher"))
    resp = post_form(
        client,
        console(tenant, "/settings/members/invite"),
        {"email": "x@example.com", "role": "viewer"},
        token=token,
    )
    assert resp.status_code == 403 and "admin permission" in resp.text


def test_another_workspaces_members_and_invitations_are_404(client, runtime, tenant, other_tenant):
    theirs = add_member(runtime, other_tenant, "dispatcher")
    member = _members(client, other_tenant)[theirs]
    signed_in(client, other_tenant)
    assert (
        _post(
            client, other_tenant, "/members/invite", {"email": "t@example.com", "role": "viewer"}
        ).status_code
        == 303
    )
    (invitation,) = _invitation_ids(client.get(console(other_tenant, "/settings/members")).text)
    signed_in(client, tenant)
    for tail, data in (
        (f"/members/{member['id']}/role", {"role": "viewer"}),
        (f"/members/{member['id']}/deactivate", {}),
        (f"/invitations/{invitation}/revoke", {}),
        ("/members/not-a-uuid/deactivate", {}),
    ):
        resp = _post(client, tenant, tail, data)
        assert resp.status_code == 404 and "belongs to another workspace" in resp.text, tail
    after = _members(client, other_tenant)[theirs]
    assert after["role"] == "dispatcher" and after["active"] is True
    assert theirs not in client.get(console(tenant, "/settings/members")).text
    still = client.get(console(other_tenant, "/settings/members")).text  # its own cookie path
    assert _invitation_ids(still) == [invitation]


def test_members_page_by_fifty(client, runtime, tenant):
    pw = Passwords(runtime.settings).hash(PASSWORD)
    with runtime.owner_engine.begin() as conn:  # 50 more members: 51 with the owner
        for n in range(50):
            user = conn.scalar(
                insert(User)
                .values(email=f"m{n:02d}-{tenant.slug}@example.com", password_hash=pw)
                .returning(User.id)
            )
            conn.execute(
                insert(Membership).values(tenant_id=tenant.id, user_id=user, role="viewer")
            )
    signed_in(client, tenant)
    first = client.get(console(tenant, "/settings/members")).text
    assert first.count("/deactivate") == 49 and 'rel="next"' in first  # 50 rows, one is you
    nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    second = client.get(html.unescape(nxt)).text
    assert second.count("/deactivate") == 1 and 'rel="next"' not in second
    emails = re.compile(rf"m\d\d-{tenant.slug}@example.com")
    one, two = set(emails.findall(first)), set(emails.findall(second))
    assert len(one) == 49 and len(two) == 1 and not one & two  # each member on one page
