"""Settings → Company: name, contact e-mail and phone, time zone and country — the fields of
``PATCH /admin/settings`` (admin) that describe the company. The currency is the pricing
config's (Settings → Pricing); the settings hold no postal address."""

from __future__ import annotations

from flask import current_app, g, redirect, url_for

from shared.auth.permissions import allows
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page, forbidden_page
from tenantapp.console.settings import common
from tenantapp.pricing.service import get_current_config
from tenantapp.settings import service

FIELDS = ("company_name", "contact_email", "contact_phone", "time_zone", "country")
NULLABLE = ("contact_email", "contact_phone")


def _page(status=200, errors=None, summary=None, values=None):
    row = service.get_settings()
    current = {name: getattr(row, name) or "" for name in FIELDS}
    return common.page(
        "company.html",
        "console.settings",
        status=status,
        values=values or current,
        errors=errors or {},
        summary=summary,
        currency=get_current_config().config.get("currency", ""),
    )


@blp.get("/settings")
@console_page("view")
def settings():
    """The Company section for admins; the navigation's Settings brings a finance member (who
    may see only Plan and billing) there, and anyone else to the API's 403."""
    role = g.principal.role
    if not allows(role, "admin"):
        if allows(role, "finance") and "owner_billing.billing" in current_app.view_functions:
            return redirect(url_for("owner_billing.billing"), 303)
        return forbidden_page("This action needs the admin permission.")
    return _page()


@blp.post("/settings")
@console_page("admin")
def save_company():
    return common.save_settings(
        lambda: common.settings_body(FIELDS, nullable=NULLABLE),
        "console.settings",
        "company",
        _page,
        FIELDS,
    )
