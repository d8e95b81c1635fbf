"""Request → tenant: resolve the tenant once per request and fail closed (SPEC §2.4).

The dispatcher leaves the slug in the WSGI environ. An unknown, deleting or deleted tenant is 404;
a tenant whose shard this process cannot reach, that is being moved (writes only) or whose schema
revision this code does not serve is 503 with ``Retry-After``. Otherwise the request runs inside
``tenant_context(tenant)`` (its own session, statements translated to the tenant's schema) and
``g.tenant`` holds the ``TenantRef``.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from shared.dispatch import TENANT_SLUG_KEY
from shared.errors import AppError, NotFound
from shared.freeze import RETRY_AFTER_SECONDS, SAFE_METHODS, is_frozen
from shared.migrations import served_revisions
from shared.runtime import Runtime
from shared.tenancy import SERVED_STATUSES, TenantRef, tenant_context
from tenantapp import limits
from tenantapp.limits import RequestTrip


def resolve(
    runtime: Runtime, slug: str | None, method: str, trip: RequestTrip | None = None
) -> TenantRef:
    """The tenant a request to ``slug`` may be served by, or the problem that refuses it.

    With ``trip`` the tenant-version read carries the request's budgets, write-freeze check and
    usage count: one Redis round trip per request (``tenantapp.limits``).
    """
    tenant = runtime.tenants.by_slug(slug, piggyback=trip) if slug else None
    if tenant is None or tenant.status not in SERVED_STATUSES:
        raise NotFound("No such workspace.")
    if tenant.shard not in runtime.shards:
        # The row names a shard this process has no URL for (a deploy missing SHARDS).
        raise AppError(
            "This workspace is temporarily unavailable.",
            status=503,
            code="shard_unavailable",
            title="Shard unavailable",
            headers={"Retry-After": "60"},
        )
    frozen = trip.frozen if trip is not None else is_frozen(runtime.redis, tenant.id)
    if method not in SAFE_METHODS and frozen:
        raise AppError(
            "This workspace is being moved; writes resume in a few seconds.",
            status=503,
            code="tenant_moving",
            title="Tenant moving",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return tenant


def _check_revision(tenant: TenantRef) -> None:
    if not current_app.extensions["served_revisions"].serves(tenant.schema_revision):
        raise AppError(
            "This workspace is being upgraded; try again in a minute.",
            status=503,
            code="tenant_migrating",
            title="Workspace upgrade in progress",
            headers={"Retry-After": "30"},
        )


def init_app(app: Flask, runtime: Runtime) -> None:
    """Enter the request's tenant before any view and leave it at teardown."""
    # Expand/contract: which tenant revisions this code serves, computed once (no SQL per request).
    app.extensions["served_revisions"] = served_revisions()

    @app.before_request
    def enter_tenant() -> None:
        # The real objects, not the context-local proxies (see ``shared.web.App``).
        req, ctx = request._get_current_object(), g._get_current_object()
        trip = limits.request_trip(req)
        try:
            tenant = resolve(runtime, req.environ.get(TENANT_SLUG_KEY), req.method, trip)
        finally:
            ctx.api_counted = trip.counted  # the access-log hook must not count it again
        ctx.tenant = tenant
        ctx.availability_version = trip.availability  # for the public slot cache
        _check_revision(tenant)
        trip.enforce()  # 429 after the 404/503s, as when the limiter ran after resolution
        ctx.tenant_scope = tenant_context(tenant)
        ctx.tenant_scope.__enter__()

    @app.teardown_request
    def leave_tenant(_exc) -> None:
        scope = g._get_current_object().pop("tenant_scope", None)
        if scope is not None:
            scope.__exit__(None, None, None)
