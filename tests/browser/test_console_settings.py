"""Console Settings in headless Chromium (issue #30 item 5): change a tax rate as a person would
and see it saved; every settings page passes axe at 1280 px and fits 390 px without scrolling
sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.console_screens import check_pages_fit_and_pass_axe, sign_in
from tests.browser.console_settings_screens import settings_tenant

PAGES = ("", "/hours", "/pricing", "/taxes", "/branding", "/sms", "/members")


def _settings(live, tenant):
    resp = live.client().get(tenant.url("/admin/settings"), headers=tenant.headers)
    assert resp.status_code == 200
    return resp.get_json()


def test_change_a_tax_rate_and_see_it_saved(page, live, watch):
    tenant, _ = settings_tenant(live)
    sign_in(page, live, tenant)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings sections").get_by_role(
        "link", name="Taxes"
    ).click()
    rate = page.get_by_label("Tax rate 2, Rate (%)")
    expect(rate).to_have_value("7.000")
    rate.fill("30.5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tax-1-rate-error")).to_contain_text("less than or equal to 30")
    assert _settings(live, tenant)["tax_rates"][1]["rate"] == "7.000"
    page.get_by_label("Tax rate 2, Rate (%)").fill("7.25")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Tax settings saved.")).to_be_visible()
    expect(page.get_by_label("Tax rate 2, Rate (%)")).to_have_value("7.250")
    rates = _settings(live, tenant)["tax_rates"]
    assert [(r["code"], r["rate"]) for r in rates] == [("GST", "5.000"), ("PST", "7.250")]
    watch.clean(http_errors_ok=True)  # the refused save answered 422, as it should


def test_every_settings_page_passes_axe_and_fits_390px(page, live, watch):
    tenant, _ = settings_tenant(live)
    sign_in(page, live, tenant)
    paths = [f"/settings{path}" for path in PAGES]
    check_pages_fit_and_pass_axe(page, live, tenant, paths, heading="Settings")
    watch.clean()
