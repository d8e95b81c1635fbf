"""The control plane's members and invitations as the console's Settings → Members page sees
them (SPEC §4.1, §5.14): the tenant app may not import the control plane, so the control plane
registers its functions here when its app is built (both apps run in one process behind the
WSGI dispatcher), like ``shared.billing_bridge``.

Each function takes the request body the API's endpoint would (validated there by the API's
own schema, so the messages are the API's) and applies the API's rules:

- ``members(tenant, limit, cursor)``: a page of members, oldest first (``GET /v1/members``);
- ``invitations(tenant)``: pending invitations, newest first (not accepted, revoked or expired);
- ``invite(tenant, principal, body)``: ``POST /v1/members`` (``{email, role}``);
- ``change_role(tenant, principal, membership_id, body)``: ``POST /v1/members/{id}/role``;
- ``deactivate(tenant, principal, membership_id)``: ``POST /v1/members/{id}/deactivate``;
- ``revoke(tenant, invitation_id)``: the invitation's link stops working.

Ids of another workspace (or not ids at all) are 404, as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.errors import ServiceUnavailable
from shared.tenancy import TenantRef


@dataclass(frozen=True)
class MembersFunctions:
    members: Callable[..., dict]
    invitations: Callable[..., list]
    invite: Callable[..., dict]
    change_role: Callable[..., dict]
    deactivate: Callable[..., dict]
    revoke: Callable[..., None]


_registered: MembersFunctions | None = None


def register(functions: MembersFunctions) -> None:
    global _registered
    _registered = functions


def _functions() -> MembersFunctions:
    if _registered is None:  # the tenant app served without the control plane
        raise ServiceUnavailable("Members are not available here.", headers={"Retry-After": "60"})
    return _registered


def members(tenant: TenantRef, limit: int, cursor: str | None) -> dict:
    return _functions().members(tenant, limit, cursor)


def invitations(tenant: TenantRef) -> list:
    return _functions().invitations(tenant)


def invite(tenant: TenantRef, principal, body: dict) -> dict:
    return _functions().invite(tenant, principal, body)


def change_role(tenant: TenantRef, principal, membership_id: str, body: dict) -> dict:
    return _functions().change_role(tenant, principal, membership_id, body)


def deactivate(tenant: TenantRef, principal, membership_id: str) -> dict:
    return _functions().deactivate(tenant, principal, membership_id)


def revoke(tenant: TenantRef, invitation_id: str) -> None:
    _functions().revoke(tenant, invitation_id)
