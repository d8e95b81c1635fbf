"""Console Settings screens (issue #30 item 5): every section on the part-1 workspace
(tests/browser/console_screens.py) with two tax rates, a brand colour, a texting number, a
blackout ahead and an invitation waiting."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import phonenumbers
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.console_screens import _ok, console_url, local_today, seeded_tenant, sign_in


def _free_number() -> str:
    """A valid number no other workspace of this run texts from (one workspace per number)."""
    while True:
        raw = f"+1780{random.randint(2000000, 9999999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(raw)):
            return raw


def settings_tenant(live):
    tenant, made = seeded_tenant(live)
    client = live.client()
    _ok(
        client.patch(
            tenant.url("/admin/settings"),
            json={
                "contact_email": "office@sparkle.example",
                "contact_phone": "+1 780 555 0100",
                "tax_rates": [
                    {
                        "code": "GST",
                        "name": "GST",
                        "rate": "5.000",
                        "registration_number": "123456789 RT0001",
                    },
                    {"code": "PST", "name": "PST", "rate": "7.000", "applies_to_add_ons": False},
                ],
                "brand_color": "#0f766e",
                "booking_intro": "We bring our own supplies.",
                "sms_from": _free_number(),
            },
            headers=tenant.headers,
        )
    )
    logo = io.BytesIO()
    image = Image.new("RGB", (480, 160), (15, 118, 110))
    ImageDraw.Draw(image).rectangle((24, 40, 136, 120), fill=(255, 255, 255))
    image.save(logo, "PNG")
    _ok(
        client.put(
            tenant.url("/admin/settings/logo"),
            data=logo.getvalue(),
            headers={**tenant.headers, "Content-Type": "image/png"},
        )
    )
    day = local_today() + timedelta(days=6)
    _ok(
        client.post(
            tenant.url("/admin/blackouts"),
            json={
                "starts_at": f"{day}T08:00:00",
                "ends_at": f"{day}T18:00:00",
                "reason": "Team training",
            },
            headers=tenant.headers,
        ),
        (201,),
    )
    _ok(
        client.post(
            "/v1/members",
            json={"email": "maria@sparkle.example", "role": "dispatcher"},
            headers=tenant.headers,
        ),
        (201,),
    )
    return tenant, made


def _open(live, page, path: str):
    tenant, made = settings_tenant(live)
    sign_in(page, live, tenant)
    page.goto(console_url(live, tenant, f"/settings{path}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    return tenant, made


def console_settings(live, page) -> None:
    _open(live, page, "")


def console_settings_hours(live, page) -> None:
    _open(live, page, "/hours")


def console_settings_pricing(live, page) -> None:
    _open(live, page, "/pricing")


def console_settings_pricing_errors(live, page) -> None:
    _open(live, page, "/pricing")
    page.locator("#s-config-base_hours-2-hours").fill("0")
    page.locator("#s-config-add_ons-flags-0-price").fill("thirty")
    page.get_by_role("button", name="Save pricing").click()
    expect(page.locator("#s-config-base_hours-2-hours-error")).not_to_be_empty()


def console_settings_taxes(live, page) -> None:
    _open(live, page, "/taxes")


def console_settings_branding(live, page) -> None:
    _open(live, page, "/branding")


def console_settings_sms(live, page) -> None:
    _open(live, page, "/sms")


def console_settings_members(live, page) -> None:
    _open(live, page, "/members")
