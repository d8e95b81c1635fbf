"""The tenant Flask app, mounted at ``/t/<slug>`` by the dispatcher (prefix in SCRIPT_NAME)."""

from __future__ import annotations

from flask import Flask, g, request

from shared import metrics, web
from shared.api import make_api
from shared.dispatch import TENANT_SLUG_KEY
from shared.errors import AppError, NotFound
from shared.freeze import RETRY_AFTER_SECONDS, SAFE_METHODS, is_frozen
from shared.logs import configure_logging
from shared.migrations import served_revisions
from shared.runtime import Runtime
from shared.settings import Settings
from shared.tenancy import SERVED_STATUSES, tenant_context
from tenantapp import cors, limits
from tenantapp.fields import TenantInstant


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    runtime = runtime or Runtime(settings)
    configure_logging(settings.log_level)

    app = Flask("tenantapp")
    api = make_api(
        app,
        title="Cleanplane tenant API",
        strip_prefix="/v1",
        tenant_scoped=True,
        servers=[{"url": "/t/{slug}/v1", "variables": {"slug": {"default": "demo"}}}],
    )
    # A bare Field had no type in the document: generated clients and the fuzzer sent numbers.
    api.ma_plugin.map_to_openapi_type(TenantInstant, "string", "date-time")
    web.init_app(app, runtime)
    metrics.init_app(app)
    # Expand/contract: which tenant revisions this code serves, computed once (no SQL per request).
    app.extensions["served_revisions"] = served_revisions()

    @app.before_request
    def resolve_tenant() -> None:
        """Resolve the tenant once per request and fail closed (unknown → 404)."""
        slug = request.environ.get(TENANT_SLUG_KEY)
        tenant = runtime.tenants.by_slug(slug) if slug else None
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
        if request.method not in SAFE_METHODS and is_frozen(runtime.redis, tenant.id):
            raise AppError(
                "This workspace is being moved; writes resume in a few seconds.",
                status=503,
                code="tenant_moving",
                title="Tenant moving",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        g.tenant = tenant
        if not app.extensions["served_revisions"].serves(tenant.schema_revision):
            raise AppError(
                "This workspace is being upgraded; try again in a minute.",
                status=503,
                code="tenant_migrating",
                title="Workspace upgrade in progress",
                headers={"Retry-After": "30"},
            )
        g.tenant_scope = tenant_context(tenant)
        g.tenant_scope.__enter__()

    limits.init_app(app, settings.redis_url)
    cors.init_app(app, runtime)

    @app.teardown_request
    def leave_tenant(exc) -> None:
        scope = g.pop("tenant_scope", None)
        if scope is not None:
            scope.__exit__(None, None, None)

    import tenantapp.workers.sessions  # noqa: F401 - registers the worker guard's session loader
    from tenantapp.audit.routes import blp as audit_blp
    from tenantapp.bookings.routes import blp as bookings_blp
    from tenantapp.checklists.routes import blp as checklists_blp
    from tenantapp.company.routes import blp as company_blp
    from tenantapp.exports.routes import blp as exports_blp
    from tenantapp.leads.routes import blp as leads_blp
    from tenantapp.messaging.routes import blp as messaging_blp
    from tenantapp.payments.routes import blp as payments_blp
    from tenantapp.photos.routes import blp as photos_blp
    from tenantapp.portal.routes import blp as portal_blp
    from tenantapp.pricing.routes import blp as pricing_blp
    from tenantapp.reports.routes import blp as reports_blp
    from tenantapp.retention.routes import blp as retention_blp
    from tenantapp.scheduling.routes import blp as scheduling_blp
    from tenantapp.settings.routes import blp as settings_blp
    from tenantapp.timetracking.routes import blp as timetracking_blp
    from tenantapp.workers.routes import blp as workers_blp

    for blp in (
        company_blp,
        settings_blp,
        audit_blp,
        pricing_blp,
        leads_blp,
        scheduling_blp,
        bookings_blp,
        messaging_blp,
        exports_blp,
        workers_blp,
        checklists_blp,
        timetracking_blp,
        portal_blp,
        photos_blp,
        payments_blp,
        reports_blp,
        retention_blp,
    ):
        api.register_blueprint(blp)
    return app
