"""Staff console screens (``/t/<slug>/console/``, issue 29): a workspace with two teams, a few
customers and a day of bookings, signed in through the sign-in page like a person would."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import text, update

from tenantapp.bookings.models import Booking
from tests.office.helpers import in_tenant
from tests.support import PASSWORD, TenantHandle, signup

ZONE = ZoneInfo("America/Edmonton")  # the sign-up default time zone of the test workspaces
PEOPLE = (
    ("Maria Lopez", "10230 Jasper Ave", "T5J 1A1", "09:00"),
    ("Dev Patel", "8712 109 St NW", "T6G 1E9", "09:00"),
    ("Chloé Martin", "11520 100 Ave NW", "T5K 0J7", "13:00"),
    ("Sam O'Neil", "4303 50 St", "T6L 6E4", "13:00"),
)


def _ok(resp, status=(200, 201)):
    assert resp.status_code in status, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def local_today() -> date:
    return datetime.now(ZONE).date()


def _move_back(live, tenant: TenantHandle, bookings: list[dict], days: int) -> list[dict]:
    """The bookings ``days`` earlier at the same local time (the day arithmetic in the
    workspace's zone keeps 09:00 at 09:00 across a DST change); their API views again."""
    ids = [b["id"] for b in bookings]
    with in_tenant(live.runtime, tenant) as sess:
        sess.execute(text(f"SET LOCAL timezone = '{ZONE.key}'"))
        sess.execute(
            update(Booking)
            .where(Booking.id.in_(ids))
            .values(
                starts_at=Booking.starts_at - text(f"interval '{days} days'"),
                ends_at=Booking.ends_at - text(f"interval '{days} days'"),
            )
        )
        sess.commit()
    client = live.client()
    return [
        _ok(client.get(tenant.url(f"/admin/bookings/{i}"), headers=tenant.headers)) for i in ids
    ]


def seeded_tenant(live, day: date | None = None) -> tuple[TenantHandle, dict]:
    """A workspace with teams "North" and "South", four customers with properties and their
    bookings on ``day`` (today by default), a blackout over lunch and one new lead."""
    client = live.client()
    tenant = signup(client, company_name="Sparkle & Shine Cleaning")
    day = day or local_today()
    teams = _ok(client.get(tenant.url("/admin/teams"), headers=tenant.headers))["items"]
    _ok(
        client.put(
            tenant.url("/admin/teams"),
            json={"teams": [{"id": teams[0]["id"], "name": "North"}, {"name": "South"}]},
            headers=tenant.headers,
        )
    )
    teams = _ok(client.get(tenant.url("/admin/teams"), headers=tenant.headers))["items"]
    ids = {t["name"]: t["id"] for t in teams}
    for team_id in ids.values():  # Monday–Saturday 8:00–19:00 for both teams
        hours = [{"day_of_week": d, "start": "08:00", "end": "19:00"} for d in range(6)]
        _ok(
            client.put(
                tenant.url(f"/admin/teams/{team_id}/working-hours"),
                json={"hours": hours},
                headers=tenant.headers,
            )
        )
    made = {"teams": ids, "customers": [], "bookings": [], "day": day}
    # Staff cannot book a time that has passed, and "today" at 09:00 has passed for half the
    # day. Book the same weekday a few weeks on, where every time is ahead, then move the
    # bookings back to ``day`` in the database (a stored visit may be in the past).
    booked_on = day
    while booked_on <= local_today():
        booked_on += timedelta(days=7)
    for i, (name, address, postal, hhmm) in enumerate(PEOPLE):
        customer = _ok(
            client.post(
                tenant.url("/admin/customers"),
                json={
                    "name": name,
                    "phone": f"+1 780 555 {1200 + i:04d}",
                    "email": f"{name.split()[0].lower()}-{uuid.uuid4().hex[:4]}@example.com",
                },
                headers=tenant.headers,
            )
        )
        prop = _ok(
            client.post(
                tenant.url(f"/admin/customers/{customer['id']}/properties"),
                json={
                    "address": address,
                    "postal_code": postal,
                    "home": {"beds": 2 + i % 2, "baths": 1 + (i % 2) * 0.5},
                },
                headers=tenant.headers,
            )
        )
        booking = _ok(
            client.post(
                tenant.url("/admin/bookings"),
                json={
                    "customer_id": customer["id"],
                    "property_id": prop["id"],
                    "starts_at": f"{booked_on.isoformat()}T{hhmm}:00",
                    "team_id": ids["North" if i % 2 == 0 else "South"],
                    "duration_minutes": 180,
                    "override_availability": True,
                    "override_reason": "screenshot day",
                    "skip_deposit": True,
                },
                headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex},
            )
        )
        made["customers"].append((customer, prop))
        made["bookings"].append(booking)
    if booked_on != day:
        made["bookings"] = _move_back(live, tenant, made["bookings"], (booked_on - day).days)
    _ok(
        client.post(
            tenant.url("/admin/blackouts"),
            json={
                "starts_at": f"{day.isoformat()}T12:00:00",
                "ends_at": f"{day.isoformat()}T13:00:00",
                "team_id": ids["South"],
                "reason": "Van service",
            },
            headers=tenant.headers,
        )
    )
    return tenant, made


def console_url(live, tenant, path: str = "/") -> str:
    return f"{live.url}/t/{tenant.slug}/console{path}"


def check_pages_fit_and_pass_axe(page, live, tenant, paths, heading: str | None = None) -> None:
    """Each console page in ``paths``: no sideways scrolling at 1280 and 390 px, and no axe
    violation (checked at 1280 px); with ``heading``, each page's h1 says it."""
    from tests.browser.conftest import horizontal_overflow, run_axe

    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            page.goto(console_url(live, tenant, path))
            if heading is not None:
                expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways at {width} px"
            if width == 1280:
                assert run_axe(page) == [], path


def sign_in(page, live, tenant, email: str | None = None) -> None:
    page.goto(console_url(live, tenant, "/login"))
    page.get_by_label("Email").fill(email or tenant.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")


def _signed_in(live, page):
    tenant, made = seeded_tenant(live)
    sign_in(page, live, tenant)
    return tenant, made


def console_login(live, page) -> None:
    tenant = signup(live.client(), company_name="Sparkle & Shine Cleaning")
    page.goto(console_url(live, tenant, "/login"))


def console_today(live, page) -> None:
    _signed_in(live, page)


def console_schedule(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/schedule?day={made['day'].isoformat()}&view=day"))


def console_week(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/schedule?day={made['day'].isoformat()}&view=week"))


def console_customers(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/customers"))


def console_customer(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/customers/{made['customers'][0][0]['id']}"))


def console_customer_errors(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.goto(console_url(live, tenant, "/customers/new"))
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator("#f-email-error")).not_to_be_empty()


def console_bookings(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/bookings?from={made['day'].isoformat()}"))


def console_booking(live, page) -> None:
    tenant, made = _signed_in(live, page)
    page.goto(console_url(live, tenant, f"/bookings/{made['bookings'][0]['id']}"))


def console_new_booking(live, page) -> None:
    tenant, made = _signed_in(live, page)
    customer = made["customers"][1][0]
    page.goto(console_url(live, tenant, f"/bookings/new?customer_id={customer['id']}"))
    page.get_by_label("Date").fill((made["day"] + timedelta(days=1)).isoformat())


def console_search(live, page) -> None:
    tenant, _ = _signed_in(live, page)
    page.get_by_label("Search", exact=True).fill("Jasper")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results")
