"""``/signup`` in Chromium by the labels of SPEC §4.5 (issue #31): the address suggested from the
name and checked as you type (never overwriting what was typed), the browser's time zone, errors
beside their fields, then the new workspace's console."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shared.models.tenants import Tenant
from tests.browser.conftest import horizontal_overflow, run_axe
from tests.support import PASSWORD, signup, unique_slug


@pytest.fixture()
def browser_context_args(browser_context_args):
    return {**browser_context_args, "timezone_id": "Asia/Tokyo"}


def _fill(page, company: str, email: str | None = None, password: str = PASSWORD) -> None:
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Email").fill(email or f"owner-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password").fill(password)


def test_sign_up_through_the_page_and_land_in_the_console(page, live, watch):
    page.goto(f"{live.url}/signup")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")  # guessed by the browser
    company = f"Sparkle Shine {uuid.uuid4().hex[:6]}"
    _fill(page, company)
    slug = company.lower().replace(" ", "-")
    expect(page.get_by_label("Workspace address")).to_have_value(slug)
    expect(page.locator("#slug-status")).to_have_text("This address is free.")
    assert horizontal_overflow(page) <= 0
    assert run_axe(page) == []
    page.get_by_role("button", name="Create workspace").click()
    page.wait_for_url(re.compile(rf"/t/{slug}/console/"))
    expect(page.get_by_role("link", name="Settings")).to_be_visible()  # inside, signed in
    expect(page.get_by_text("Please confirm your e-mail address")).to_be_visible()
    with live.runtime.engine.connect() as conn:
        row = conn.execute(select(Tenant).where(Tenant.slug == slug)).one()
    assert (row.company_name, row.time_zone) == (company, "Asia/Tokyo")
    watch.clean(http_errors_ok=True)


def test_a_typed_address_is_never_overwritten_and_a_taken_one_offers_the_next(page, live, watch):
    taken = signup(live.client())
    page.goto(f"{live.url}/signup")
    address = page.get_by_label("Workspace address")
    address.fill(taken.slug)
    expect(page.locator("#slug-status")).to_have_text("That workspace address is taken.")
    offer = page.get_by_role("button", name=f"Use {taken.slug}-2")
    expect(offer).to_be_visible()
    page.get_by_label("Company name").fill("Completely Different Name")
    page.wait_for_timeout(600)  # past the debounce: a name-based suggestion would have landed
    expect(address).to_have_value(taken.slug)
    offer.click()
    expect(address).to_have_value(f"{taken.slug}-2")
    expect(page.locator("#slug-status")).to_have_text("This address is free.")
    watch.clean()


def test_server_errors_appear_beside_their_fields(page, live, watch):
    taken = signup(live.client())
    page.goto(f"{live.url}/signup")
    _fill(page, f"Shine {unique_slug('n')}", email=taken.email, password="weak")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.locator("#password-error")).to_contain_text("password")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create workspace").click()
    expect(page.locator("#email-error")).to_have_text(
        "An account with that e-mail exists; log in instead."
    )
    watch.clean(http_errors_ok=True)
