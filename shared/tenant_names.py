"""What a tenant is called: schema and slug rules, the ``TenantRef`` snapshot, its version key.

The bottom of the tenancy layers: no database, no Redis, no context. ``shared.directory`` caches
``TenantRef`` rows, ``shared.tenancy`` puts one in context.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SCHEMA_RE = re.compile(r"^t_[0-9a-f]{12,32}$")
SLUG_RE = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,39}$")
RESERVED_SLUGS = frozenset(
    [
        "www",
        "api",
        "admin",
        "ops",
        "static",
        "assets",
        "billing",
        "mail",
        "status",
        "docs",
        "app",
        "apps",
        "cdn",
        "help",
        "support",
        "blog",
        "dashboard",
        "login",
        "logout",
        "signup",
        "auth",
        "account",
        "accounts",
        "root",
        "system",
        "internal",
        "metrics",
        "health",
        "healthz",
        "readyz",
        "dev",
        "test",
        "staging",
        "prod",
        "www1",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "ns1",
        "ns2",
        "t",
        "tenant",
        "tenants",
        "cleanplane",
    ]
)
SERVED_STATUSES = frozenset({"active", "suspended"})


class InvalidSchemaName(ValueError):
    pass


def check_schema_name(name: str) -> str:
    """Return ``name`` if it is a tenant schema name, else raise: never interpolate unchecked."""
    if not isinstance(name, str) or not SCHEMA_RE.fullmatch(name):
        raise InvalidSchemaName(f"not a tenant schema name: {name!r}")
    return name


def quoted_schema(name: str) -> str:
    return '"' + check_schema_name(name) + '"'


def new_schema_name() -> str:
    return "t_" + uuid.uuid4().hex[:24]


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` is unusable (format or reserved), or None."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        return (
            "must be 3-40 characters: lowercase letters, digits and single hyphens, "
            "starting with a letter and not ending with a hyphen"
        )
    if slug in RESERVED_SLUGS:
        return "is reserved"
    return None


@dataclass(frozen=True)
class TenantRef:
    """An immutable snapshot of a tenant's control-plane row."""

    id: uuid.UUID
    slug: str
    schema_name: str
    status: str
    plan: str
    time_zone: str
    company_name: str
    schema_revision: str | None
    shard: str = "default"
    version: int = 0
    created_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any, version: int = 0) -> TenantRef:
        return cls(
            id=row.id,
            slug=row.slug,
            schema_name=row.schema_name,
            status=row.status,
            plan=row.plan_code,
            time_zone=row.time_zone,
            company_name=row.company_name,
            schema_revision=row.schema_revision,
            shard=row.shard,
            version=version,
            created_at=row.created_at,
        )


def version_key(tenant_id: uuid.UUID | str) -> str:
    return f"cp:tenant:{tenant_id}:version"


def availability_key(tenant_id: uuid.UUID | str) -> str:
    """The counter of a tenant's booking writes: the version its cached public slot answers are
    keyed by (``tenantapp.bookings.slot_cache``), read on every tenant request's round trip."""
    return f"cp:tenant:{tenant_id}:availability"
