"""``/login`` and the invitation page in Chromium (SPEC §4.5, issue #31): several workspaces get
a chooser; an invitation is accepted on its page and leads to sign-in."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, run_axe
from tests.browser.owner import invitation, two_workspaces
from tests.support import PASSWORD


def test_sign_in_with_two_workspaces_and_choose_one(page, live, watch):
    first, second = two_workspaces(live)
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(first.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a workspace")
    expect(page.locator("#workspaces li")).to_have_count(2)
    assert run_axe(page) == []
    page.get_by_role("button", name=re.compile("Fresh Start Maids")).click()
    page.wait_for_url(re.compile(rf"/t/{second.slug}/console/"))
    expect(page.locator(".console-home")).to_have_text("Fresh Start Maids")
    watch.clean(http_errors_ok=True)


def test_a_wrong_password_shows_the_apis_message(page, live, watch):
    first, _ = two_workspaces(live)
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(first.email)
    page.get_by_label("Password").fill("Not-The-Password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("The e-mail or password is wrong.")
    expect(page.get_by_label("Email")).to_have_value(first.email)
    watch.clean(http_errors_ok=True)


def test_accept_an_invitation_on_its_page_then_sign_in(page, live, watch):
    tenant, email, token = invitation(live)
    page.goto(f"{live.url}/invitations/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Sparkle & Shine Cleaning")
    assert horizontal_overflow(page) <= 0
    assert run_axe(page) == []
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.locator("#joined")).to_contain_text("You joined Sparkle & Shine Cleaning")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/t/{tenant.slug}/console/"))
    expect(page.locator(".console-home")).to_have_text("Sparkle & Shine Cleaning")
    watch.clean(http_errors_ok=True)


def test_open_billing_and_reach_the_stripe_stand_ins_checkout(page, live, watch):
    first, _ = two_workspaces(live)
    watch.allowed_hosts.add(live.stripe.url)  # Checkout is Stripe's page, by design
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(first.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=re.compile("Sparkle & Shine Cleaning")).click()
    page.wait_for_url(re.compile(rf"/t/{first.slug}/console/"))
    page.goto(f"{live.url}/t/{first.slug}/console/settings/billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan and billing")
    expect(page.locator("#usage-bookings_created progress")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    assert run_axe(page) == []
    page.get_by_role("button", name="Upgrade to Pro").click()
    page.wait_for_url(f"{live.stripe.url}/c/pay/*")
    expect(page.get_by_role("heading", name="Stripe test checkout")).to_be_visible()
    watch.clean(http_errors_ok=True)


def test_with_2fa_the_code_step_asks_for_the_code(page, live, watch):
    import time

    import pyotp

    from tests.owner_pages.helpers import enable_totp
    from tests.support import signup

    tenant = signup(live.client())
    secret = enable_totp(live.client(), tenant)
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(tenant.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code").fill(totp.at(int(time.time()) + totp.interval))  # unused step
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/t/{tenant.slug}/console/"))
    watch.clean(http_errors_ok=True)
