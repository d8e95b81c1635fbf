"""The members functions the console's Settings → Members page calls through
``shared.members_bridge``: the API's schemas and services, with string ids as the page has them
(a malformed one is the API's 404)."""

from __future__ import annotations

import uuid

from marshmallow import ValidationError

from controlplane.accounts import invitations, members, schemas
from shared import members_bridge
from shared.errors import NotFound, ValidationFailed, flatten_messages


def _load(schema, body: dict) -> dict:
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ValidationFailed(flatten_messages(exc.messages)) from exc


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"No such {what}.") from exc


def _members(tenant, limit: int, cursor: str | None) -> dict:
    args = _load(schemas.MemberListArgs(), {"limit": limit, "cursor": cursor})
    return members.list_members(tenant, args)


def _invite(tenant, principal, body: dict) -> dict:
    data = _load(schemas.InviteIn(), body)
    return invitations.invite(tenant, principal, data["email"], data["role"])


def _change_role(tenant, principal, membership_id: str, body: dict) -> dict:
    data = _load(schemas.RoleIn(), body)
    return members.change_role(tenant, principal, _uuid(membership_id, "member"), data["role"])


def _deactivate(tenant, principal, membership_id: str) -> dict:
    return members.deactivate(tenant, principal, _uuid(membership_id, "member"))


def _revoke(tenant, invitation_id: str) -> None:
    invitations.revoke(tenant, _uuid(invitation_id, "invitation"))


def register() -> None:
    """Called by the control plane's app factory."""
    members_bridge.register(
        members_bridge.MembersFunctions(
            members=_members,
            invitations=invitations.pending,
            invite=_invite,
            change_role=_change_role,
            deactivate=_deactivate,
            revoke=_revoke,
        )
    )
