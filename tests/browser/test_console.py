"""The staff console in headless Chromium (SPEC §5.14, issue 29): a dispatcher's morning — sign in,
search, a phone-in customer and booking, move it on the board (form and drag), complete it —
and the security checks: CSP, cookie flags, CSRF, a revoked session, accessibility, 390 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.bookings.conftest import monday
from tests.browser.conftest import horizontal_overflow, run_axe
from tests.browser.console_screens import (
    check_pages_fit_and_pass_axe,
    console_url,
    seeded_tenant,
    sign_in,
)
from tests.console.helpers import add_member
from tests.support import signup


def test_a_dispatchers_morning(page, live, watch):
    tenant, made = seeded_tenant(live, monday())  # a working day (Mon–Sat 9:00–18:00)
    day = made["day"]
    page.goto(console_url(live, tenant, "/schedule"))
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("Email").fill(tenant.email)
    page.get_by_label("Password").fill("Correct-Horse-9battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Schedule")  # back to `next`

    # Search a customer from the box on every page.
    page.get_by_label("Search", exact=True).fill("Lopez")
    page.get_by_label("Search", exact=True).press("Enter")
    page.get_by_role("link", name="Maria Lopez").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Lopez")

    # A phone-in: new customer, a property, a booking.
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Priya Raman")
    page.get_by_label("Phone").fill("780 555 0199")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_text("Customer created.")).to_be_visible()
    page.get_by_text("Add a property").click()
    page.get_by_label("Address").fill("9920 Whyte Ave")
    page.get_by_label("Bedrooms").fill("1")
    page.get_by_label("Bathrooms").fill("1")
    page.get_by_role("button", name="Save property").click()
    expect(page.get_by_text("Property added.")).to_be_visible()
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill("16:30")
    page.get_by_label("Team").select_option(label="North")
    page.get_by_label("Duration (minutes)").fill("60")
    page.get_by_label("No deposit for this booking").check()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Booked.")).to_be_visible()
    booking_id = int(re.search(r"/bookings/(\d+)", page.url).group(1))

    # The board shows it; move it by the form, then drag it to another lane.
    page.get_by_role("link", name="See on the board").click()
    block = page.locator(f'.block[data-booking="{booking_id}"]')
    expect(block).to_contain_text("Priya Raman")
    expect(block).to_contain_text("Standard")
    expect(block).to_contain_text("4:30 PM")
    page.get_by_label("Booking", exact=True).select_option(value=str(booking_id))
    page.locator("#board-time").fill("17:00")
    page.get_by_role("button", name="Move booking").click()
    expect(page.get_by_text(f"Booking #{booking_id} moved.")).to_be_visible()
    expect(page.locator(f'.block[data-booking="{booking_id}"]')).to_contain_text("5:00 PM")
    south = made["teams"]["South"]
    target = page.locator(
        f'.lane[data-team="{south}"] .slot[data-starts="{day.isoformat()}T17:30"]'
    )
    page.locator(f'.block[data-booking="{booking_id}"]').drag_to(target)
    expect(page.get_by_text(f"Booking #{booking_id} moved.")).to_be_visible()
    moved = page.locator(f'.block[data-booking="{booking_id}"]')
    expect(moved).to_contain_text("5:30 PM")
    lane = page.locator(".lane", has=page.locator(".lane-name", has_text="South"))
    expect(lane.locator(f'.block[data-booking="{booking_id}"]')).to_have_count(1)

    # A move onto another booking is the API's 409, shown as a message.
    page.get_by_label("Booking", exact=True).select_option(value=str(booking_id))
    page.locator("#board-time").fill("09:00")
    page.get_by_role("button", name="Move booking").click()
    expect(page.get_by_role("alert").filter(has_text=re.compile(r"\w"))).to_be_visible()

    # Open it and complete it.
    page.locator(f'.block[data-booking="{booking_id}"]').click()
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Marked done")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("Done")
    watch.clean(http_errors_ok=True)  # the 409 above is a deliberate error response


def test_csp_cookies_and_htmx_without_inline_style(page, live, watch):
    tenant, _ = seeded_tenant(live)
    sign_in(page, live, tenant)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["cp_console"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert session["path"] == f"/t/{tenant.slug}/console"
    assert all(c["httpOnly"] for c in cookies.values())
    resp = page.goto(console_url(live, tenant, "/customers"))
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "style-src 'self'" in csp
    assert page.evaluate("() => window.htmx.config.includeIndicatorStyles") is False
    assert page.locator("style").count() == 0
    assert page.locator("script:not([src])").count() == 0
    # htmx filters the list in place (a partial update, no inline anything).
    page.get_by_label("Filter by name, e-mail or phone").fill("Patel")
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    expect(page.locator("#customer-results")).to_contain_text("Dev Patel")
    watch.clean()


def test_a_cross_site_form_post_is_refused(page, live):
    tenant, made = seeded_tenant(live)
    sign_in(page, live, tenant)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    booking = made["bookings"][0]["id"]
    url = console_url(live, tenant, f"/bookings/{booking}/complete")
    evil = page.request.post(
        url, form={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert evil.status == 403
    forged = page.request.post(url, form={"csrf_token": "forged"}, headers={"Origin": live.url})
    assert forged.status == 403
    status = live.client().get(tenant.url(f"/admin/bookings/{booking}"), headers=tenant.headers)
    assert status.get_json()["status"] == "CONFIRMED"


def test_a_revoked_session_is_signed_out_on_its_next_click(page, live):
    tenant = signup(live.client())
    email = add_member(live.runtime, tenant, "dispatcher")
    sign_in(page, live, tenant, email)
    members = live.client().get("/v1/members", headers=tenant.headers).get_json()["items"]
    mid = next(m["id"] for m in members if m["email"] == email)
    assert (
        live.client().post(f"/v1/members/{mid}/deactivate", headers=tenant.headers).status_code
        == 200
    )
    page.get_by_role("link", name="Customers").click()
    expect(page).to_have_url(re.compile(r"/console/login"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_viewer_gets_the_403_page_when_moving(page, live):
    tenant, made = seeded_tenant(live)
    email = add_member(live.runtime, tenant, "viewer")
    sign_in(page, live, tenant, email)
    page.goto(console_url(live, tenant, f"/schedule?day={made['day'].isoformat()}"))
    page.get_by_label("Booking", exact=True).select_option(index=0)
    page.locator("#board-time").fill("15:00")
    page.get_by_role("button", name="Move booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("dispatch permission")).to_be_visible()


def test_pages_pass_axe_and_fit_390px(page, live, watch):
    tenant, made = seeded_tenant(live)
    sign_in(page, live, tenant)
    paths = [
        "/",
        f"/schedule?day={made['day'].isoformat()}",
        f"/schedule?day={made['day'].isoformat()}&view=week",
        "/customers",
        f"/customers/{made['customers'][0][0]['id']}",
        "/bookings",
        f"/bookings/{made['bookings'][0]['id']}",
        f"/bookings/new?customer_id={made['customers'][0][0]['id']}",
        "/search?q=Jasper",
        "/reports",
        "/password",
    ]
    check_pages_fit_and_pass_axe(page, live, tenant, paths)
    page.context.clear_cookies()
    page.goto(console_url(live, tenant, "/login"))
    assert run_axe(page) == []
    watch.clean()


def test_send_the_verification_link_again_from_the_banner(page, live, watch, tmp_path):
    tenant = signup(live.client())
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        sign_in(page, live, tenant) if width == 1280 else page.reload()
        banner = page.get_by_role("status").filter(has_text="Please confirm your e-mail address")
        expect(banner.get_by_role("button", name="Send the link again")).to_be_visible()
        assert horizontal_overflow(page) <= 0
        page.screenshot(path=tmp_path / f"verify-banner-{width}.png")
    assert run_axe(page) == []
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")  # back where it was
    expect(
        page.get_by_role("status").filter(has_text="We sent a new confirmation link")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Send the link again")).to_have_count(0)
    page.screenshot(path=tmp_path / "verify-banner-sent.png")
    watch.clean()
