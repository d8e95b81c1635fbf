"""What the booking page and its confirmation show, from the same services as the API.

The page never prices or schedules by itself: the first price is ``pricing.estimate_now`` of the
defaults (so it shows before any script runs), every later one comes from ``POST /estimate``,
times from ``GET /slots`` and the booking from ``POST /leads`` + ``POST /bookings``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from shared.errors import AppError
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from shared.web import i18n
from shared.web.csp import Csp
from tenantapp.bookings import links
from tenantapp.bookings import service as bookings
from tenantapp.leads.captcha import captcha_required
from tenantapp.pricing.config import FREQUENCIES, MAX_BATHS, MAX_BEDS, SERVICE_TYPES
from tenantapp.pricing.service import current_pricing, estimate_now
from tenantapp.settings import branding
from tenantapp.settings.models import TenantSettings
from tenantapp.settings.service import get_settings, tenant_zone

DEFAULTS = {"beds": 2, "baths": 1, "service_type": "standard", "frequency": "one_time"}
DEFAULT_BRAND = "#0f766e"
MAX_UNITS = 20  # per-unit add-ons offered on the page (the API takes any whole count)


@dataclass(frozen=True)
class Brand:
    company: str
    color: str
    text_color: str
    intro: str | None
    logo_path: str | None

    @property
    def css(self) -> str:
        return f":root{{--brand:{self.color};--brand-text:{self.text_color}}}\n"

    @property
    def css_digest(self) -> str:
        return hashlib.sha256(self.css.encode()).hexdigest()[:12]


def brand(settings: TenantSettings | None = None) -> Brand:
    settings = settings or get_settings()
    color = settings.brand_color or DEFAULT_BRAND
    return Brand(
        company=settings.company_name,
        color=color,
        text_color=branding.text_color_for(color),
        intro=settings.booking_intro,
        logo_path=branding.logo_path(settings),
    )


def page_csp(settings: TenantSettings) -> Csp:
    """Self only; Turnstile's host when the captcha is on; framed by the booking-site origins."""
    csp = Csp().framed_by(settings.booking_origins or [])
    return csp.with_turnstile() if captcha_required(settings.captcha_mode) else csp


def add_ons(lang: str) -> list[dict]:
    """The tenant's add-ons with their labels (a name the catalogue lacks is shown humanised)."""
    config = current_pricing().config.get("add_ons", {})
    labels = i18n.section("book.add_ons", lang)
    out = []
    for kind in ("flags", "per_unit"):
        for name, price in (config.get(kind) or {}).items():
            out.append(
                {
                    "name": name,
                    "kind": kind,
                    "label": labels.get(name) or name.replace("_", " ").capitalize(),
                    "price": price,
                }
            )
    return out


def prefill(args) -> dict:
    """Home fields given in the page's URL (the account page's "Book again"): only values the
    form offers; anything else keeps its default."""
    out: dict = {}
    beds = args.get("beds", "")
    if beds.isdigit() and int(beds) <= MAX_BEDS:
        out["beds"] = int(beds)
    try:
        baths = float(args.get("baths", ""))
    except ValueError:
        baths = -1.0
    if 0 <= baths <= MAX_BATHS and (baths * 2).is_integer():
        out["baths"] = int(baths) if baths.is_integer() else baths
    if args.get("service_type") in SERVICE_TYPES:
        out["service_type"] = args["service_type"]
    if args.get("frequency") in FREQUENCIES:
        out["frequency"] = args["frequency"]
    return out


def booking_page(lang: str, given: dict | None = None) -> dict:
    settings = get_settings()
    tenant = current_tenant()
    defaults = {**DEFAULTS, **(given or {})}
    estimate = estimate_now({**defaults, "add_ons": {}}).as_dict()
    today = datetime.now(tenant_zone()).date()
    captcha = captcha_required(settings.captcha_mode)
    return {
        "brand": brand(settings),
        "slug": tenant.slug,
        "defaults": defaults,
        "beds_max": MAX_BEDS,
        "baths_max": MAX_BATHS,
        "service_types": SERVICE_TYPES,
        "frequencies": FREQUENCIES,
        "add_ons": add_ons(lang),
        "max_units": MAX_UNITS,
        "estimate": estimate,
        "today": today.isoformat(),
        "captcha": captcha,
        "captcha_site_key": current_runtime().settings.turnstile_site_key,
        "messages": i18n.section("book", lang),
    }


def done_page(booking_id: int, token: str | None) -> dict | None:
    """The confirmation's content, or None when the link is not valid for this tenant."""
    try:
        links.check_manage_token(token, booking_id)
        booking = bookings.get(booking_id)
    except AppError:
        return None
    shown = bookings.view(booking, with_manage_url=False)
    deposit = shown["deposit"]
    if booking.status == "CONFIRMED":
        state = "confirmed"
    elif booking.status == "CANCELLED":
        state = "cancelled"
    elif booking.status == "DONE":
        state = "done"
    elif deposit["status"] == "pending":
        state = "pending_deposit"
    else:
        state = "pending_review"
    return {
        "brand": brand(),
        "booking": shown,
        "state": state,
        "deposit_contact": deposit["downgraded_reason"] == "stripe_unavailable",
        "account_url": links.account_url(booking_id, token),
    }
