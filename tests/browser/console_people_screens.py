"""Console Workers and Messages screens (issue 30, items 3 and 7): the part-1 workspace
(tests/browser/console_screens.py) with a crew of workers on today's bookings and customers who
texted in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tenantapp.sms.models import SmsMessage
from tests.browser.console_screens import _ok, console_url, seeded_tenant, sign_in
from tests.office.helpers import in_tenant
from tests.support import PASSWORD

WORKERS = (
    ("Ana Souza", "North", "hourly", {"hourly_rate_cents": 2400}),
    ("Ben Carter", "North", "flat", {"pay_flat_cents": 6000}),
    ("Chen Wei", "South", "percent", {"pay_percent": "40"}),
    ("Dana Brooks", "South", "hourly", {"hourly_rate_cents": 2250}),
    ("Eli Novak", None, "hourly", {"hourly_rate_cents": 2000}),
)
TEXTS = (
    ("Hi! Could you also do the inside of the fridge tomorrow?", "in", 95),
    ("Of course, we'll add it. See you at 9!", "out", 80),
    ("Great, thank you. The key is under the mat.", "in", 12),
)


def people_tenant(live):
    """The part-1 workspace with five workers (two signed up, two inactive), crews on today's bookings, and
    customers who texted in (two unread conversations)."""
    tenant, made = seeded_tenant(live)
    client = live.client()
    workers = []
    for i, (name, team, pay_type, pay) in enumerate(WORKERS):
        body = {
            "name": name,
            "email": f"{name.split()[0].lower()}@sparkle.example",
            "phone": f"+1 780 555 {2300 + i:04d}",
            "team_id": made["teams"][team] if team else None,
            "pay_type": pay_type,
            "active": i < 3,  # the free plan's 3 active workers; the others left
            **pay,
        }
        worker = _ok(client.post(tenant.url("/admin/workers"), json=body, headers=tenant.headers))
        if i < 2:
            token = parse_qs(urlparse(worker["invite_url"]).query)["token"][0]
            _ok(
                client.post(
                    tenant.url("/worker/accept-invite"),
                    json={"token": token, "password": PASSWORD},
                )
            )
        workers.append(worker)
    for booking, worker in zip(made["bookings"], workers[:3], strict=False):
        _ok(
            client.post(
                tenant.url(f"/admin/bookings/{booking['id']}/assign"),
                json={"worker_id": worker["id"]},
                headers=tenant.headers,
            )
        )
    for customer, _ in made["customers"][:3]:
        _ok(
            client.patch(
                tenant.url(f"/admin/customers/{customer['id']}"),
                json={"sms_opt_in": True},
                headers=tenant.headers,
            )
        )
    now = datetime.now(UTC)
    with in_tenant(live.runtime, tenant) as sess:
        for n, (customer, _) in enumerate(made["customers"][:3]):
            for body, direction, minutes in TEXTS[: 3 - n]:
                sess.add(
                    SmsMessage(
                        customer_id=customer["id"],
                        direction=direction,
                        phone=f"+1780555{1200 + n:04d}",
                        body=body,
                        status="received" if direction == "in" else "delivered",
                        created_at=now - timedelta(minutes=minutes + n * 30),
                        read_at=now if n == 2 else None,
                    )
                )
        sess.commit()
    made["workers"] = workers
    return tenant, made


def _signed_in(live, page):
    tenant, made = people_tenant(live)
    sign_in(page, live, tenant)
    return tenant, made


def console_workers(live, page) -> None:
    _signed_in(live, page)
    page.get_by_role("link", name="Workers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workers")


def console_worker(live, page) -> None:
    _signed_in(live, page)
    page.get_by_role("link", name="Workers").click()
    page.get_by_role("link", name="Ana Souza").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Souza")


def console_teams(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/workers/teams"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")


def console_timesheets(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/workers/timesheets"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Timesheets")


def console_conversations(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/messages"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")


def console_conversation(live, page) -> None:
    tenant, made = _signed_in(live, page)
    customer = made["customers"][0][0]
    page.goto(console_url(live, tenant, f"/messages/{customer['id']}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Messages with")


def console_previews(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/messages/previews"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Template previews")
    frame = page.locator("iframe.email-frame")
    expect(frame).to_be_visible()
    # A sandboxed frame renders in its own process, which paints only what is in the viewport: a
    # full-page screenshot of a phone's long page caught it blank below the fold. Make the viewport
    # as tall as the page, so the whole frame is on screen and painted before the shot.
    tall = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": tall})
    expect(page.frame_locator("iframe.email-frame").get_by_text("confirmed").first).to_be_visible()
