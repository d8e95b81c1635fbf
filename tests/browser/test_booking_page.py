"""The booking page in Chromium, by the labels of SPEC §5.13 (issue #27)."""

from __future__ import annotations

import io
import random
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.booking import (
    connect_stripe,
    fill_details,
    new_tenant,
    open_booking,
    pay_deposit,
    pick_time,
    staff_booking,
    working_day,
)
from tests.browser.conftest import horizontal_overflow, run_axe

PAGE_BUDGET = 100_000  # bytes, uncompressed: HTML, scripts, styles, images (SPEC §5.13)


def _done_params(url: str) -> tuple[int, str]:
    query = parse_qs(urlsplit(url).query)
    return int(query["booking"][0]), query["token"][0]


def test_defaults_and_live_price_follow_the_fields(page, live, watch):
    tenant = new_tenant(live)
    open_booking(page, live, tenant.slug)
    expect(page.get_by_label("Service")).to_have_value("standard")
    expect(page.get_by_label("Service").locator("option:checked")).to_have_text("Standard")
    expect(page.get_by_label("How often").locator("option:checked")).to_have_text("One time")
    expect(page.locator("#price")).to_have_text("105.00")  # 2 bd / 1 ba, from the server
    page.get_by_label("Bedrooms").fill("3")  # the (3,2) row: 4.0 h → 140.00
    expect(page.locator("#price")).to_have_text("140.00")
    page.get_by_label("How often").select_option(label="Weekly")  # 10 % off labour
    expect(page.locator("#price")).to_have_text("126.00")
    page.get_by_label("Inside the oven").check()
    expect(page.locator("#price")).to_have_text("156.00")
    watch.clean()


def test_booking_without_deposit_ends_on_the_confirmation_with_the_manage_link(page, live, watch):
    tenant = new_tenant(live)  # no Stripe account: the deposit cannot be taken
    open_booking(page, live, tenant.slug)
    expect(page.get_by_label("Name")).to_be_disabled()  # part 3 waits for a time
    pick_time(page)
    fill_details(page)
    page.get_by_label("Text me about my booking").check()
    page.get_by_label("Photo consent").check()
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(re.compile(r"/book/done\?booking=\d+&token="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    expect(page.get_by_text("The company will contact you about the deposit.")).to_be_visible()
    booking_id, token = _done_params(page.url)
    manage = page.get_by_role("link", name="Manage your booking")
    assert manage.get_attribute("href") == (
        f"{live.url}/t/{tenant.slug}/account?booking={booking_id}&token={token}"
    )
    booking = staff_booking(live, tenant, booking_id)
    assert booking["deposit"]["downgraded_reason"] == "stripe_unavailable"
    assert booking["photo_consent"] is True
    lead = live.client().get(
        tenant.url(f"/admin/leads/{booking['lead_id']}"), headers=tenant.headers
    )
    assert lead.get_json()["lead"]["sms_opt_in"] is True
    watch.clean()


def test_booking_with_deposit_goes_through_checkout_and_the_webhook_confirms(page, live, watch):
    tenant = new_tenant(live)
    account = connect_stripe(live, tenant)
    watch.allowed_hosts.add(live.stripe.url)  # Checkout is Stripe's page, by design
    open_booking(page, live, tenant.slug)
    pick_time(page)
    fill_details(page)
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(f"{live.stripe.url}/c/pay/*")
    expect(page.get_by_role("heading", name="Stripe test checkout")).to_be_visible()
    expect(page.locator("#amount")).to_have_text("50.00")  # 25 % of 105.00, at least 50.00
    session_id = page.url.rsplit("/", 1)[1]
    booking_id, _ = _done_params(page.get_by_role("link").get_attribute("href"))
    assert staff_booking(live, tenant, booking_id)["status"] == "PENDING"
    pay_deposit(live, account, session_id, booking_id)
    page.get_by_role("link", name="Return to the merchant").click()
    page.wait_for_url(re.compile(r"/book/done\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked!")
    expect(page.locator("#deposit")).to_have_text("50.00 paid")
    assert staff_booking(live, tenant, booking_id)["status"] == "CONFIRMED"
    watch.clean()


def test_waiting_for_the_webhook_the_confirmation_says_so_and_refreshes(page, live, watch):
    tenant = new_tenant(live)
    connect_stripe(live, tenant)
    watch.allowed_hosts.add(live.stripe.url)
    open_booking(page, live, tenant.slug)
    pick_time(page)
    fill_details(page)
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(f"{live.stripe.url}/c/pay/*")
    page.get_by_role("link", name="Return to the merchant").click()  # back before the webhook
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your deposit")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    expect(page.get_by_role("link", name="Pay the deposit")).to_have_attribute(
        "href", re.compile(r"/c/pay/cs_test_")
    )
    watch.clean()


def test_api_errors_appear_beside_their_fields(page, live, watch):
    tenant = new_tenant(live)
    open_booking(page, live, tenant.slug)
    page.get_by_label("Bedrooms").fill("11")  # /estimate: 0..10
    expect(page.locator("#beds-error")).not_to_be_empty()
    expect(page.get_by_label("Bedrooms")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#beds-error")).to_have_attribute("aria-live", "polite")
    page.get_by_label("Bedrooms").fill("2")
    expect(page.locator("#beds-error")).to_be_empty()
    expect(page.locator("#price")).to_have_text("105.00")
    pick_time(page)
    fill_details(page, name="", phone="12", email="not-an-email")
    page.get_by_role("button", name="Book").click()
    for field in ("name", "phone", "email"):
        expect(page.locator(f"#{field}-error")).not_to_be_empty()
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_have_text("Please check the highlighted fields.")
    assert "/book/done" not in page.url
    page.set_viewport_size({"width": 360, "height": 740})
    assert horizontal_overflow(page) <= 0
    watch.clean(http_errors_ok=True)


def test_a_slot_taken_meanwhile_re_offers_times(page, live, watch):
    tenant = new_tenant(live)
    open_booking(page, live, tenant.slug)
    day = working_day()
    pick_time(page, day)
    taken = page.get_by_role("radio").first.get_attribute("value")
    # Someone else books that very time through the API while the customer types.
    client = live.client()
    lead = client.post(
        tenant.url("/leads"),
        json={
            "name": "Other",
            "phone": "+14035550123",
            "estimate_request": {"beds": 2, "baths": 1},
        },
    ).get_json()
    resp = client.post(
        tenant.url("/bookings"),
        json={"lead_id": lead["lead_id"], "lead_token": lead["lead_token"], "starts_at": taken},
    )
    assert resp.status_code == 201, resp.get_json()
    fill_details(page)
    page.get_by_role("button", name="Book").click()
    expect(page.locator("#starts_at-error")).to_have_text(
        "Sorry, that time was just taken. Please choose another time."
    )
    expect(page.get_by_role("radio").first).not_to_have_attribute("value", taken)
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(re.compile(r"/book/done\?"))
    watch.clean(http_errors_ok=True)  # the 409 is the point of the test


def _tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_whole_booking_works_by_keyboard(page, live, watch):
    tenant = new_tenant(live)
    open_booking(page, live, tenant.slug)
    _tab_to(page, "#beds")
    page.keyboard.press("ArrowUp")  # 3 bedrooms
    expect(page.locator("#price")).to_have_text("140.00")
    _tab_to(page, "#date")
    day = working_day()
    page.keyboard.type(day.strftime("%m%d%Y"))
    expect(page.get_by_role("radio").first).to_be_visible()
    _tab_to(page, "input[name=starts_at]")
    page.keyboard.press("Space")
    expect(page.get_by_label("Name")).to_be_enabled()
    for selector, text in (
        ("#name", "Kay Board"),
        ("#phone", "+1 403 555 0142"),
        ("#email", "kay@example.com"),
        ("#address", "1 Key Street"),
    ):
        _tab_to(page, selector)
        page.keyboard.type(text)
    _tab_to(page, "#book-button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/book/done\?"))
    _tab_to(page, "#manage")
    watch.clean()


def test_no_serious_accessibility_violations_on_the_booking_pages(page, live, watch):
    tenant = new_tenant(live)
    open_booking(page, live, tenant.slug)
    pick_time(page)
    assert run_axe(page) == []
    fill_details(page)
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(re.compile(r"/book/done\?"))
    assert run_axe(page) == []
    watch.clean()


def _big_logo() -> bytes:
    """A noisy 380×380 PNG (over 400 KB) standing in for a real, heavy logo."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (380, 380), rng.randbytes(380 * 380 * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    data = out.getvalue()
    assert 300_000 < len(data) <= 512 * 1024
    return data


def test_page_weight_with_a_heavy_logo_stays_under_100_kb_and_nothing_leaves_the_origin(
    page, live, watch
):
    tenant = new_tenant(live, brand_color="#ffd500", booking_intro="Hello <b>there</b>")
    resp = live.client().put(
        tenant.url("/admin/settings/logo"),
        data=_big_logo(),
        headers={**tenant.headers, "Content-Type": "image/png"},
    )
    assert resp.status_code == 200, resp.get_json()
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    open_booking(page, live, tenant.slug)
    page.wait_for_load_state("networkidle")
    expect(page.locator("img.logo")).to_be_visible()
    assert page.locator(".intro").inner_text() == "Hello <b>there</b>"  # plain text, escaped
    total = sum(sizes.values())
    assert any("/logo/" in u for u in sizes) and any(u.endswith(".js") for u in sizes)
    print(f"booking page weight: {total} bytes in {len(sizes)} responses: {sizes}")
    assert total <= PAGE_BUDGET, f"{total} bytes: {sizes}"
    # A bright brand colour gets dark text (WCAG AA).
    color = page.locator(".brand-bar").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(0, 0, 0)"
    watch.clean()


@pytest.fixture()
def other_site():
    """A page on another origin (another port) that embeds the booking button."""
    state = {"html": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(state["html"])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def _site(live, slug: str) -> bytes:
    return (
        "<!doctype html><html lang=en><title>Acme Homes</title><h1>Acme Homes</h1>"
        f'<script src="{live.url}/t/{slug}/embed.js" async></script>'
    ).encode()


def test_embed_button_opens_the_booking_page_over_a_site_of_another_origin(
    page, live, watch, other_site
):
    tenant = new_tenant(live, booking_origins=[other_site["url"]])
    other_site["html"] = _site(live, tenant.slug)
    watch.origin = other_site["url"]
    watch.allowed_hosts.add(live.url)
    page.goto(other_site["url"])
    page.get_by_role("button", name="Book a cleaning").click()
    frame = page.frame_locator("iframe")
    expect(frame.get_by_label("Bedrooms")).to_be_visible()
    expect(frame.locator("#price")).to_have_text("105.00")
    # The dialog opens with its close button focused; Tab goes on into the booking form, and
    # Escape there closes the dialog (the booking page tells the embedding page).
    expect(page.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Tab")
    expect(frame.locator(":focus")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    book = page.get_by_role("button", name="Book a cleaning")
    expect(book).to_be_focused()
    # Escape at once, before anything in the form is touched, closes it as well.
    book.click()
    expect(page.get_by_role("dialog")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(book).to_be_focused()
    watch.clean()


def test_the_booking_page_refuses_to_be_framed_by_an_origin_not_listed(
    page, live, watch, other_site
):
    tenant = new_tenant(live)  # no booking-site origins: frame-ancestors 'none'
    other_site["html"] = _site(live, tenant.slug)
    page.goto(other_site["url"])
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.get_by_role("button", name="Book a cleaning").click()
    expect(page.frame_locator("iframe").get_by_label("Bedrooms")).to_have_count(0)
