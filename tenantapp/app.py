"""The tenant Flask app, mounted at ``/t/<slug>`` by the dispatcher (prefix in SCRIPT_NAME)."""

from __future__ import annotations

from flask import Flask

from shared import metrics, web
from shared.api import make_api
from shared.auth import guards
from shared.logs import configure_logging
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import pages
from tenantapp import account, bookingpage, cors, limits, ownerbilling, resolution, workpages
from tenantapp.account.doc_pages import blp as account_doc_pages_blp
from tenantapp.account.pages import blp as account_pages_blp
from tenantapp.account.routes import alias as account_alias_blp
from tenantapp.account.routes import blp as account_blp
from tenantapp.audit.routes import blp as audit_blp
from tenantapp.bookingpage.pages import blp as booking_pages_blp
from tenantapp.bookings.routes import blp as bookings_blp
from tenantapp.bulk.routes import blp as bulk_blp
from tenantapp.checklists.routes import blp as checklists_blp
from tenantapp.company.routes import blp as company_blp
from tenantapp.console.pages import blp as console_blp
from tenantapp.customers.routes import blp as customers_blp
from tenantapp.exports.routes import blp as exports_blp
from tenantapp.fields import TenantInstant
from tenantapp.imports.routes import blp as imports_blp
from tenantapp.invoices import pdf as invoice_pdf
from tenantapp.invoices.routes import blp as invoices_blp
from tenantapp.leads.routes import blp as leads_blp
from tenantapp.messaging.routes import blp as messaging_blp
from tenantapp.ownerbilling.pages import blp as owner_billing_blp
from tenantapp.payments.routes import blp as payments_blp
from tenantapp.photos.routes import blp as photos_blp
from tenantapp.plans.routes import blp as plans_blp
from tenantapp.portal.routes import blp as portal_blp
from tenantapp.pricing.routes import blp as pricing_blp
from tenantapp.reports.routes import blp as reports_blp
from tenantapp.retention.routes import blp as retention_blp
from tenantapp.reviews.routes import blp as reviews_blp
from tenantapp.scheduling.routes import blp as scheduling_blp
from tenantapp.search.routes import blp as search_blp
from tenantapp.settings.routes import blp as settings_blp
from tenantapp.sms.routes import blp as sms_blp
from tenantapp.timesheets.routes import blp as timesheets_blp
from tenantapp.timetracking.routes import blp as timetracking_blp
from tenantapp.workers import sessions as worker_sessions
from tenantapp.workers.pages import blp as worker_pages_blp
from tenantapp.workers.routes import blp as workers_blp
from tenantapp.workpages.pages import blp as work_pages_blp

# In the order the OpenAPI document lists them.
BLUEPRINTS = (
    company_blp,
    settings_blp,
    audit_blp,
    pricing_blp,
    leads_blp,
    customers_blp,
    scheduling_blp,
    bookings_blp,
    plans_blp,
    messaging_blp,
    exports_blp,
    workers_blp,
    checklists_blp,
    timetracking_blp,
    portal_blp,
    photos_blp,
    payments_blp,
    invoices_blp,
    reports_blp,
    retention_blp,
    search_blp,
    bulk_blp,
    imports_blp,
    timesheets_blp,
    sms_blp,
    reviews_blp,
    account_blp,
)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the tenant app; hooks run in the order they are attached below."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    runtime = runtime or Runtime(settings)
    configure_logging(settings.log_level)

    app = web.App("tenantapp")
    api = make_api(
        app,
        title="Cleanplane tenant API",
        strip_prefix="/v1",
        tenant_scoped=True,
        servers=[{"url": "/t/{slug}/v1", "variables": {"slug": {"default": "demo"}}}],
    )
    # A bare Field had no type in the document: generated clients and the fuzzer sent numbers.
    api.ma_plugin.map_to_openapi_type(TenantInstant, "string", "date-time")
    web.init_app(app, runtime)  # runtime, request ids, NUL refusal, problem+json
    assets = pages.init_app(app)  # templates, fingerprinted assets, messages (shared/web)
    assets.add_dir("book", bookingpage.STATIC)
    assets.add_dir("work", workpages.STATIC)
    assets.add_dir("ownerbilling", ownerbilling.STATIC)
    assets.add_dir("account", account.STATIC)
    for name in invoice_pdf.STYLESHEETS:  # the invoice page links the PDF's stylesheet
        assets.add(f"invoice/{name}", invoice_pdf.TEMPLATE_DIR / name)
    metrics.init_app(app)
    resolution.init_app(app, runtime)  # request → tenant, fail closed
    limits.init_app(app)  # the public budgets ride on resolution's Redis round trip
    cors.init_app(app, runtime)
    guards.register_worker_session_loader(worker_sessions.load_session)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    app.register_blueprint(worker_pages_blp)  # HTML, outside the OpenAPI document
    app.register_blueprint(booking_pages_blp)  # /book, /book/done, /embed.js (SPEC §5.13)
    app.register_blueprint(account_pages_blp)  # /account and its actions (SPEC §5.13)
    app.register_blueprint(account_doc_pages_blp)  # /invoices/{id}, /feedback/{token}
    app.register_blueprint(account_alias_blp)  # POST /client/login beside the pages
    app.register_blueprint(console_blp)  # /console/ (SPEC §5.14), outside the OpenAPI document
    app.register_blueprint(work_pages_blp)  # /work/: the cleaners' phone pages (SPEC §4.5)
    app.register_blueprint(owner_billing_blp)  # /console/settings/billing (SPEC §4.5)
    return app
