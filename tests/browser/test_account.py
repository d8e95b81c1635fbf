"""The customer's account pages in Chromium (issue #28): magic link read from the SMTP server,
reschedule, cancel, skip a plan visit, the invoice page, the review page; cookie flags and the
accessibility check on every page."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from shared.runtime import Runtime, use_runtime
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_due
from tests.browser import account
from tests.browser.booking import connect_stripe, new_tenant, working_day
from tests.browser.conftest import horizontal_overflow, run_axe
from tests.messaging.conftest import SmtpServer
from tests.payments.conftest import post_connect_event

LINK = re.compile(r"https?://\S+/account/signin\?token=[A-Za-z0-9_\-]+")


@pytest.fixture()
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def _deliver_by_smtp(live, tenant, smtp_server) -> None:
    rt = Runtime(live.runtime.settings.replace(smtp_url=smtp_server.url))
    try:
        with use_runtime(rt), tenant_context(rt.tenants.by_id(tenant.id)):
            deliver_due()
    finally:
        rt.dispose()


def _link_from_mail(smtp_server, to: str) -> str:
    for message in reversed(smtp_server.messages):
        if to in message["to"] and "sign-in link" in str(message["message"]["Subject"]):
            text = message["message"].get_body(preferencelist=("plain",)).get_content()
            return LINK.search(text).group(0)
    raise AssertionError(f"no sign-in e-mail to {to}")


def test_magic_link_from_the_email_shows_the_upcoming_visit(
    page, browser, live, watch, smtp_server
):
    tenant = new_tenant(live, company_name="Sparkle & Shine Cleaning")
    email = account.email()
    day = working_day(5)
    account.booking(live, tenant, email, day=day)
    page.goto(f"{live.url}/t/{tenant.slug}/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your account")
    assert run_axe(page) == []
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert run_axe(page) == []
    _deliver_by_smtp(live, tenant, smtp_server)
    link = _link_from_mail(smtp_server, email)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Customer")
    visits = page.locator("#upcoming .visit")
    expect(visits).to_have_count(1)
    expect(visits.first).to_contain_text(day.strftime("%a %-d %b %Y") + ", 9:00 AM")
    expect(visits.first).to_contain_text("Standard")
    expect(visits.first).to_contain_text("12 Elm Street, T2P 1J9")
    assert run_axe(page) == []
    cookie = next(c for c in page.context.cookies() if c["name"] == "cp_client")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # http on 127.0.0.1; Secure in prod
    assert cookie["path"] == f"/t/{tenant.slug}"
    assert 29.9 * 86400 < cookie["expires"] - time.time() <= 30 * 86400
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script sees it
    page.set_viewport_size({"width": 360, "height": 740})
    assert horizontal_overflow(page) <= 0
    # The same link again, in another browser: a clear page and no session.
    other = browser.new_context()
    again = other.new_page()
    again.goto(link)
    expect(again.get_by_role("heading", level=1)).to_have_text("This sign-in link was already used")
    assert not [c for c in other.cookies() if c["name"] == "cp_client"]
    assert run_axe(again) == []
    other.close()
    # Reused in this browser too: the page says so and the browser is left signed out.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in link was already used")
    assert not [c for c in page.context.cookies() if c["name"] == "cp_client"]
    account.sign_in(page, live, tenant, email)
    # Sign out ends the session.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    watch.clean(http_errors_ok=True)  # the reused link's 410, on purpose


def test_reschedule_from_the_account_page(page, live, watch):
    tenant = new_tenant(live)
    email = account.email()
    account.booking(live, tenant, email, day=working_day(5))
    account.sign_in(page, live, tenant, email)
    page.locator("#upcoming").get_by_role("link", name="Reschedule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new time")
    assert run_axe(page) == []
    new_day = working_day(12)
    page.get_by_label("New date").fill(new_day.isoformat())
    page.get_by_role("button", name="Show times").click()
    first = page.get_by_role("radio").first
    expect(first).to_be_visible()
    label = page.locator("label.chip").first.inner_text()
    page.get_by_role("button", name="Move my cleaning").click()
    expect(page.get_by_text("Your cleaning is moved to the new time.")).to_be_visible()
    expect(page.locator("#upcoming .visit").first).to_contain_text(
        new_day.strftime("%a %-d %b %Y") + ", " + label
    )
    watch.clean()


def test_cancel_shows_the_refund_first(page, live, watch):
    tenant = new_tenant(live)
    email = account.email()
    account.booking(live, tenant, email)
    account.sign_in(page, live, tenant, email)
    page.locator("#upcoming").get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this cleaning?")
    expect(page.locator("#refund")).to_have_text(
        "Nothing was paid for this booking, so there is nothing to refund."
    )
    assert run_axe(page) == []
    page.get_by_role("button", name="Cancel the cleaning").click()
    expect(page.get_by_text("Your cleaning is cancelled.")).to_be_visible()
    expect(page.locator("#upcoming")).to_contain_text("No visits booked.")
    watch.clean()


def test_skip_a_plan_visit(page, live, watch):
    tenant = new_tenant(live)
    email = account.email()
    customer = account.customer_id(live, tenant, email)
    resp = live.client().post(
        tenant.url("/admin/plans"),
        json={
            "customer_id": customer,
            "frequency": "weekly",
            "first_date": working_day(4).isoformat(),
            "start_time": "10:00",
            "estimate_request": {"beds": 2, "baths": 1},
        },
        headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert resp.status_code == 201, resp.get_json()
    account.sign_in(page, live, tenant, email)
    expect(page.locator("#plans")).to_contain_text("Weekly")
    assert run_axe(page) == []
    visits = page.locator("#upcoming .visit")
    before = visits.count()
    first_when = visits.first.locator(".visit-when").inner_text()
    visits.first.get_by_role("link", name="Skip this visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Skip this visit?")
    assert run_axe(page) == []
    page.get_by_role("button", name="Skip this visit").click()
    expect(page.get_by_text("That visit is skipped.")).to_be_visible()
    assert page.locator("#upcoming .visit").first.locator(".visit-when").inner_text() != (
        first_when
    )
    assert page.locator("#upcoming .visit").count() in (before - 1, before)
    watch.clean()


def test_manage_link_from_the_booking_page_opens_the_booking(page, live, watch):
    tenant = new_tenant(live)
    made = account.booking(live, tenant, account.email())
    token = made["manage_url"].split("token=")[1]
    page.goto(f"{live.url}/t/{tenant.slug}/account?booking={made['id']}&token={token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your booking")
    expect(page.get_by_role("link", name="Reschedule")).to_be_visible()
    expect(page.get_by_role("heading", name="See all your visits and invoices")).to_be_visible()
    assert run_axe(page) == []
    watch.clean()


def test_invoice_page_and_review_page(page, live, watch):
    tenant = new_tenant(live, review_url="https://g.page/r/sparkle/review")
    email = account.email()
    made = account.completed_visit(live, tenant, email)
    invoices = live.client().get(tenant.url("/admin/invoices"), headers=tenant.headers).get_json()
    inv = next(i for i in invoices["items"] if i["booking_id"] == made["id"])
    page.goto(account.invoice_page_url(live, tenant, inv["id"]))
    expect(page.get_by_role("heading", name="INVOICE")).to_be_visible()
    # No connected Stripe account: no Pay button, the invoice says how to pay.
    expect(page.get_by_role("button", name=re.compile(r"^Pay "))).to_have_count(0)
    expect(page.get_by_role("link", name="Download PDF")).to_be_visible()
    assert run_axe(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert horizontal_overflow(page) <= 0
    feedback = account.sealed(live, tenant, "review_request", "feedback_url")[-1]
    page.goto(feedback)
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    assert run_axe(page) == []
    page.get_by_role("radio", name="9").check()
    page.get_by_label("Anything you'd like to tell us? (optional)").fill("Lovely job.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    expect(page.get_by_role("link", name="Write a review")).to_have_attribute(
        "href", "https://g.page/r/sparkle/review"
    )
    assert run_axe(page) == []
    page.goto(feedback)
    expect(page.locator("#given-score")).to_have_text("You rated this visit 9 out of 10.")
    watch.clean()


def test_pay_an_invoice_on_the_stripe_stand_in(page, live, watch):
    tenant = new_tenant(live)
    email = account.email()
    made = account.completed_visit(live, tenant, email)  # before Stripe: no deposit to take
    stripe_account = connect_stripe(live, tenant)
    watch.allowed_hosts.add(live.stripe.url)  # Checkout is Stripe's page, by design
    invoices = live.client().get(tenant.url("/admin/invoices"), headers=tenant.headers).get_json()
    inv = next(i for i in invoices["items"] if i["booking_id"] == made["id"])
    account.sign_in(page, live, tenant, email)
    page.locator("#invoices").get_by_role("link", name="Pay").click()
    expect(page.get_by_role("heading", name="INVOICE")).to_be_visible()
    page.get_by_role("button", name="Pay CAD 105.00").click()
    page.wait_for_url(f"{live.stripe.url}/c/pay/*")
    expect(page.locator("#amount")).to_have_text("105.00")
    session = page.url.rsplit("/", 1)[1]
    resp = post_connect_event(
        live.client(),
        "checkout.session.completed",
        {
            "id": session,
            "object": "checkout.session",
            "mode": "payment",
            "payment_intent": "pi_" + uuid.uuid4().hex[:16],
            "amount_total": 10500,
            "metadata": {"invoice_id": str(inv["id"])},
        },
        stripe_account,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    page.get_by_role("link", name="Return to the merchant").click()
    page.wait_for_url(re.compile(rf"/t/{tenant.slug}/invoices/{inv['id']}\?token="))
    expect(page.locator(".status")).to_have_text("Paid")
    expect(page.get_by_role("button", name=re.compile(r"^Pay "))).to_have_count(0)
    watch.clean()
