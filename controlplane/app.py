"""The control-plane Flask app: signup, auth, plans, billing, operators."""

from __future__ import annotations

from flask import Flask

from controlplane import cli, health
from controlplane import metrics as metrics_route
from controlplane import pages as owner_pages
from controlplane.accounts import bridge as members_bridge
from controlplane.accounts import recovery
from controlplane.accounts.pages import bp as invitation_pages
from controlplane.accounts.routes import blp as accounts_blp
from controlplane.auth.routes import blp as auth_blp
from controlplane.billing import service as billing_service
from controlplane.billing.routes import blp as billing_blp
from controlplane.billing.routes import plans_blp, stripe_blp
from controlplane.fleet.routes import blp as fleet_blp
from controlplane.limits import limiter
from controlplane.mail.routes import blp as ops_dlq_blp
from controlplane.ops.routes import blp as ops_blp
from controlplane.ops_console.pages import bp as ops_console_pages
from controlplane.ops_console.routes import blp as ops_series_blp
from controlplane.pages.login import bp as login_page
from controlplane.pages.recovery import bp as recovery_pages
from controlplane.pages.signup import bp as signup_page
from controlplane.signup.routes import blp as signup_blp
from controlplane.tenants.routes import blp as tenants_blp
from controlplane.twilio.routes import blp as twilio_blp
from shared import billing_bridge, cors, metrics, web
from shared.api import make_api
from shared.limits import init_limiter
from shared.logs import configure_logging
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import devmail, pages

# In the order the OpenAPI document lists them.
BLUEPRINTS = (
    signup_blp,
    auth_blp,
    tenants_blp,
    billing_blp,
    ops_blp,
    ops_dlq_blp,
    ops_series_blp,
    fleet_blp,
    accounts_blp,
    stripe_blp,
    plans_blp,
    twilio_blp,
)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the control-plane app; hooks run in the order they are attached below."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    runtime = runtime or Runtime(settings)
    configure_logging(settings.log_level)

    app = web.App("controlplane")
    api = make_api(app, title="Cleanplane control plane")
    web.init_app(app, runtime)  # runtime, request ids, NUL refusal, problem+json
    assets = pages.init_app(app)  # templates, fingerprinted assets, messages (shared/web)
    assets.add_dir("owner", owner_pages.STATIC)
    if settings.app_env == "dev" and settings.dev_mail_dir:
        devmail.init_app(app, settings.dev_mail_dir)  # make run's mail catcher, /dev/mail
    metrics.init_app(app)
    cors.init_app(app, settings)
    init_limiter(limiter, app, settings.redis_url)
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
    app.register_blueprint(health.blp)  # outside the OpenAPI document
    app.register_blueprint(invitation_pages)
    app.register_blueprint(ops_console_pages)  # /ops/, operators only
    app.register_blueprint(signup_page)  # /signup (SPEC §4.5)
    app.register_blueprint(login_page)  # /login: chooser, 2FA code
    app.register_blueprint(recovery_pages)  # /forgot-password, /reset-password, /verify-email
    app.register_blueprint(metrics_route.blp)
    cli.init_app(app)
    # The console's Plan and billing page (tenant app) reaches billing through shared/.
    billing_bridge.register(
        billing_bridge.BillingFunctions(
            status=billing_service.status,
            checkout=billing_service.start_checkout,
            portal=billing_service.portal,
            resend_verification=recovery.resend_verification,
        )
    )
    members_bridge.register()  # the console's Settings → Members, the same way
    return app
