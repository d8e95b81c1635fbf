"""Settings → Members: the workspace's staff accounts and pending invitations (SPEC §4.1),
which live in the control plane, reached through ``shared.members_bridge``. Invite, change a
role, deactivate and revoke an invitation with the API's schemas and rules (admin, as
``/v1/members``; only an owner makes or removes an owner; a workspace keeps an owner; nobody
deactivates themselves — refusals are the API's messages on the page)."""

from __future__ import annotations

from flask import g, request, url_for

from shared import members_bridge
from shared.models.accounts import ROLES
from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.settings import common

HERE = "console.settings_members"
PAGE_SIZE = 50
INVITE_FIELDS = ("email", "role")


def _page(status=200, errors=None, summary=None, values=None):
    cursor = request.args.get("cursor") or None
    result = members_bridge.members(g.tenant, PAGE_SIZE, cursor)
    nxt = result.get("next_cursor")
    return common.page(
        "members.html",
        HERE,
        status=status,
        members=result["items"],
        invitations=members_bridge.invitations(g.tenant),
        roles=ROLES,
        me=g.principal.user_id,
        errors=errors or {},
        summary=summary,
        values=values or {"role": "dispatcher"},
        next_url=url_for(HERE, cursor=nxt) if nxt else None,
        first_url=url_for(HERE) if cursor else None,
    )


@blp.get("/settings/members")
@console_page("admin")
def settings_members():
    return _page()


@blp.post("/settings/members/invite")
@console_page("admin")
def invite_member():
    def run():
        members_bridge.invite(g.tenant, g.principal, forms.collect(INVITE_FIELDS))

    return actions.run_form(run, url_for(HERE, done="invited"), _page, INVITE_FIELDS)


@blp.post("/settings/members/<string:membership_id>/role")
@console_page("admin")
def member_role(membership_id: str):
    def run():
        body = forms.collect(("role",))
        members_bridge.change_role(g.tenant, g.principal, membership_id, body)

    return actions.run_form(run, url_for(HERE, done="role"), _page)


@blp.post("/settings/members/<string:membership_id>/deactivate")
@console_page("admin")
def deactivate_member(membership_id: str):
    def run():
        members_bridge.deactivate(g.tenant, g.principal, membership_id)

    return actions.run_form(run, url_for(HERE, done="deactivated"), _page)


@blp.post("/settings/invitations/<string:invitation_id>/revoke")
@console_page("admin")
def revoke_invitation(invitation_id: str):
    def run():
        members_bridge.revoke(g.tenant, invitation_id)

    return actions.run_form(run, url_for(HERE, done="revoked"), _page)


@blp.app_template_filter("console_role_option")
def _role_option(role: str) -> tuple[str, str]:
    return role, common.role_label(role)
