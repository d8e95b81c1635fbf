"""Steps of the booking page as a customer takes them, by the labels of SPEC §5.13 only."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

from playwright.sync_api import Page, expect

from tests.stripe_fixtures import CONNECT_SECRET
from tests.stripe_stub import sign
from tests.support import signup


def working_day(days_ahead: int = 3) -> dt.date:
    """A Tuesday-to-Friday at least ``days_ahead`` days out (default hours: Mon–Sat 09–18)."""
    day = dt.date.today() + dt.timedelta(days=days_ahead)
    while day.weekday() not in (1, 2, 3, 4):
        day += dt.timedelta(days=1)
    return day


def open_booking(page: Page, live, slug: str, query: str = "") -> None:
    page.goto(f"{live.url}/t/{slug}/book{query}")
    expect(page.get_by_label("Bedrooms")).to_be_visible()


def pick_time(page: Page, day: dt.date | None = None) -> None:
    page.get_by_label("Date").fill((day or working_day()).isoformat())
    page.get_by_role("radio").first.check()


def fill_details(page: Page, *, name="Ada Customer", phone="+1 403 555 0199", email=None) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Phone").fill(phone)
    page.get_by_label("Email").fill(email or f"ada-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Address").fill("12 Elm Street")
    page.get_by_label("Postal code").fill("T2P 1J9")


def connect_stripe(live, tenant) -> str:
    """Finish Stripe Connect onboarding for ``tenant`` on the stand-in; returns the account id."""
    resp = live.client().post(tenant.url("/admin/payments/connect"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["account_id"]


def pay_deposit(live, account: str, session_id: str, booking_id: int) -> None:
    """What Stripe sends after the customer paid on Checkout: the signed Connect webhook."""
    body = json.dumps(
        {
            "id": "evt_" + secrets.token_hex(10),
            "object": "event",
            "type": "checkout.session.completed",
            "account": account,
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "payment_status": "paid",
                    "status": "complete",
                    "payment_intent": "pi_" + secrets.token_hex(8),
                    "metadata": {"booking_id": str(booking_id)},
                }
            },
        }
    ).encode()
    resp = live.client().post(
        "/v1/stripe/connect-webhook",
        data=body,
        headers={
            "Stripe-Signature": sign(body, CONNECT_SECRET),
            "Content-Type": "application/json",
        },
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)


def new_tenant(live, **settings):
    tenant = signup(live.client())
    if settings:
        resp = live.client().patch(
            tenant.url("/admin/settings"), json=settings, headers=tenant.headers
        )
        assert resp.status_code == 200, resp.get_json()
    return tenant


def staff_booking(live, tenant, booking_id: int) -> dict:
    resp = live.client().get(tenant.url(f"/admin/bookings/{booking_id}"), headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()
