"""The tenant context and the tenant's session.

``tenant_context(tenant)`` is the only way into a tenant's schema: requests, jobs, the CLI and tests
all use it. It installs the tenant for the current context and gives it its own session (whose
statements are translated to the tenant's schema), restoring the previous tenant on exit.

Layers, bottom up: ``shared.tenant_names`` (what a tenant is called), ``shared.db`` (engines and the
context's session), ``shared.directory`` (cached tenant rows), ``shared.runtime`` (process
resources), this module. The names below are re-exported so callers import tenancy from one place.
"""

from __future__ import annotations

import contextvars
import functools

from sqlalchemy.orm import Session

from shared import db
from shared.directory import OUTAGE_TTL, TenantDirectory
from shared.runtime import current_runtime
from shared.tenant_names import (
    RESERVED_SLUGS,
    SCHEMA_RE,
    SERVED_STATUSES,
    SLUG_RE,
    InvalidSchemaName,
    TenantRef,
    availability_key,
    check_schema_name,
    new_schema_name,
    quoted_schema,
    slug_problem,
    version_key,
)

__all__ = [
    "OUTAGE_TTL",
    "RESERVED_SLUGS",
    "SCHEMA_RE",
    "SERVED_STATUSES",
    "SLUG_RE",
    "InvalidSchemaName",
    "TenantDirectory",
    "TenantRef",
    "check_schema_name",
    "current_tenant",
    "current_tenant_or_none",
    "new_schema_name",
    "open_tenant_session",
    "quoted_schema",
    "slug_problem",
    "tenant_context",
    "availability_key",
    "version_key",
]


def open_tenant_session(tenant: TenantRef) -> Session:
    """A session on the tenant's shard whose statements run in the tenant's schema."""
    engine = current_runtime().tenant_engine(tenant.schema_name, tenant.shard)
    sess = Session(bind=engine, expire_on_commit=False)
    db.note_tenant(sess, tenant.schema_name)
    return sess


_current_tenant: contextvars.ContextVar[TenantRef | None] = contextvars.ContextVar(
    "cleanplane_tenant", default=None
)


def current_tenant() -> TenantRef:
    tenant = _current_tenant.get()
    if tenant is None:
        raise RuntimeError("no tenant in context")
    return tenant


def current_tenant_or_none() -> TenantRef | None:
    return _current_tenant.get()


class tenant_context:  # used as a context manager and a decorator
    """Enter ``tenant`` (a ``TenantRef``) with its own session; restore the previous on exit."""

    def __init__(self, tenant: TenantRef):
        check_schema_name(tenant.schema_name)
        self.tenant = tenant
        self._tokens: list = []
        self._scopes: list = []

    def __enter__(self) -> TenantRef:
        self._tokens.append(_current_tenant.set(self.tenant))
        scope = db.isolated_session_scope(functools.partial(open_tenant_session, self.tenant))
        scope.__enter__()
        self._scopes.append(scope)
        return self.tenant

    def __exit__(self, *exc) -> None:
        self._scopes.pop().__exit__(*exc)
        _current_tenant.reset(self._tokens.pop())

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with tenant_context(self.tenant):
                return fn(*args, **kwargs)

        return wrapper
