"""Plan and billing in the console's Settings (SPEC §4.5), for the ``finance`` permission:
``/t/<slug>/console/settings/billing``. Added to the console through its exported guard and
layout; Upgrade and Manage billing go to Stripe (Checkout, portal) and come back here."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request

from shared import billing_bridge
from shared.errors import AppError
from shared.runtime import current_runtime
from shared.web.csp import Csp, origin_of
from shared.web.pages import render_page
from tenantapp.console.guard import console_page
from tenantapp.ownerbilling import view
from tenantapp.ownerbilling.banners import RESEND_EVERY, console_banners, resend_key

blp = Blueprint("owner_billing", __name__, template_folder="templates")

blp.app_context_processor(console_banners)

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
RETURNS = {"success", "cancelled"}
STRIPE_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")


def _back() -> str:
    """This page's absolute URL, where Stripe sends the person back."""
    base = current_runtime().settings.public_base_url.rstrip("/")
    return base + request.script_root + "/console/settings/billing"


def _csp() -> Csp:
    """The forms post here and are redirected to Stripe: browsers apply ``form-action`` to the
    redirect too, so Checkout's and the portal's origins are allowed (and the configured Stripe
    API base's, which is the local stand-in in development and tests)."""
    hosts = list(STRIPE_PAGES)
    base = origin_of(current_runtime().settings.stripe_api_base or "")
    if base and base not in ("https://api.stripe.com",):
        hosts.append(base)
    return Csp(form_action=tuple(hosts))


def _page(status: int = 200, error: str | None = None):
    g.console_section = "console.settings"
    returned = request.args.get("checkout")
    return render_page(
        "ownerbilling/billing.html",
        status=status,
        csp=_csp(),
        headers=HEADERS,
        error=error,
        returned=returned if returned in RETURNS else None,
        **view.billing_page(g.tenant),
    )


@blp.get("/console/settings/billing")
@console_page("finance", allow_suspended=True)
def billing():
    return _page()


@blp.post("/console/settings/billing/upgrade")
@console_page("finance", allow_suspended=True)
def upgrade():
    plan = request.form.get("plan", "")[:32]
    try:
        started = billing_bridge.checkout(g.tenant, g.principal.user_id, plan, _back())
    except AppError as exc:
        return _page(exc.status, error=exc.detail)
    return redirect(started["checkout_url"], 303)


@blp.post("/console/settings/billing/portal")
@console_page("finance", allow_suspended=True)
def manage():
    try:
        link = billing_bridge.portal(g.tenant, _back())
    except AppError as exc:
        return _page(exc.status, error=exc.detail)
    return redirect(link["url"], 303)


@blp.post("/console/verify-email/resend")
@console_page(None, allow_suspended=True, allow_password_change=True)
def resend_verification():
    """The verify banner's "Send the link again": one e-mail a minute at most (the banner then
    says it was sent), and back to the page it was pressed on."""
    user_id = g.console_principal.user_id
    if current_runtime().redis.set(resend_key(user_id), "1", nx=True, ex=RESEND_EVERY):
        billing_bridge.resend_verification(str(user_id))
    console = request.script_root + "/console/"
    back = request.form.get("next", "")
    if not back.startswith(console) or "//" in back or "\\" in back:
        back = console
    return redirect(back, 303)
