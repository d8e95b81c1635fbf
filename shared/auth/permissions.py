"""Endpoints name a permission, never a role (SPEC §4.1 matrix)."""

PERMISSIONS = ("view", "dispatch", "finance", "admin")

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(PERMISSIONS),
    "admin": frozenset(PERMISSIONS),
    "dispatcher": frozenset({"view", "dispatch"}),
    "finance": frozenset({"view", "finance"}),
    "viewer": frozenset({"view"}),
}


def allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
