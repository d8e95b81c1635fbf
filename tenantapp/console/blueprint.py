"""The console's blueprint and what every console page shares (headers, template context).

View modules (``auth``, ``today``, ``schedule``, ``customers``, ``bookings`` and the part-2 sections) attach
their routes here; ``pages`` imports them all and is what the app registers.
"""

from __future__ import annotations

from flask import Blueprint, g, request, url_for

from shared.errors import AppError
from shared.web import i18n, staff_session
from shared.web.assets import assets_of
from shared.web.pages import render_page
from tenantapp.console import STATIC
from tenantapp.pricing.config import SERVICE_TYPES

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")

# Staff pages carry customers' personal data: never cached, never referred on to other sites.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}

# (endpoint, message key) in the order SPEC §5.14 names them.
NAVIGATION = (
    ("console.today", "console.nav.today"),
    ("console.schedule", "console.nav.schedule"),
    ("console.customers", "console.nav.customers"),
    ("console.bookings", "console.nav.bookings"),
    ("console.plans", "console.nav.plans"),
    ("console.invoices", "console.nav.invoices"),
    ("console.leads", "console.nav.leads"),
    ("console.workers", "console.nav.workers"),
    ("console.reports", "console.nav.reports"),
    ("console.settings", "console.nav.settings"),
)


@blp.record_once
def _register_assets(state):
    assets_of(state.app).add_dir("console", STATIC)


@blp.after_request
def _headers(resp):
    resp.headers.update(HEADERS)
    return resp


def console_context() -> dict:
    """Template context of every console page: navigation, the signed-in person, the CSRF token
    (bound to the session) and which section is current."""
    principal = g.get("console_principal")
    return {
        "nav": NAVIGATION,
        "principal": principal,
        "csrf_token": staff_session.csrf_token(principal.session_id) if principal else "",
        "current_endpoint": request.endpoint,
        "section": g.get("console_section"),
        "company_name": g.tenant.company_name if g.get("tenant") else "",
        # Pages with hundreds of links (the week board) build them from these prefixes instead
        # of one url_for per block; and read service names from one dict.
        "booking_base": url_for("console.booking", booking_id=0)[:-1],
        "services": {k: i18n.message(f"book.service_types.{k}") for k in SERVICE_TYPES},
    }


blp.app_context_processor(lambda: console_context() if g.get("console_principal") else {})


@blp.errorhandler(AppError)
def _problem_page(exc: AppError):
    """A domain error inside a console page is a page, not problem+json: 404 for another
    workspace's ids, 403, 409 and the rest with the API's message."""
    message = exc.detail
    if exc.status == 404:
        message = i18n.message("console.error.not_found")
    return render_page(
        "console/error.html", status=exc.status, message=message, headers=exc.headers
    )


@blp.app_template_filter("cents")
def _cents(value) -> str:
    """Integer cents as currency units with two places and thousands separators ("1,234.50")."""
    value = int(value or 0)
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100:,}.{abs(value) % 100:02d}"


@blp.app_template_filter("clock")
def _clock(value) -> str:
    """A local time as people write it: "9:00 AM"."""
    return value.strftime("%I:%M %p").lstrip("0")


@blp.app_template_filter("longday")
def _longday(value) -> str:
    return value.strftime("%A %B %d, %Y").replace(" 0", " ")


@blp.app_template_filter("console_status_option")
def _status_option(status: str) -> tuple[str, str]:
    return status, i18n.message(f"console.status.{status}")


@blp.app_template_filter("console_team_option")
def _team_option(team) -> tuple[str, str]:
    return str(team.id), team.name


@blp.app_template_filter("console_action_option")
def _action_option(action: str) -> tuple[str, str]:
    return action, i18n.message(f"console.bookings.actions.{action}")


@blp.app_template_filter("console_property_option")
def _property_option(prop) -> tuple[str, str]:
    return str(prop.id), ", ".join(
        p for p in (prop.address, prop.postal_code) if p
    ) or f"#{prop.id}"


@blp.app_template_filter("console_service_option")
def _service_option(service_type: str) -> tuple[str, str]:
    return service_type, i18n.message(f"book.service_types.{service_type}")


@blp.app_template_filter("console_block_option")
def _block_option(block) -> tuple[str, str]:
    when = block.starts_local.strftime("%a %b %d, %I:%M %p").replace(" 0", " ")
    return str(block.id), f"#{block.id} · {block.customer_name} · {when}"
