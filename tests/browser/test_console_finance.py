"""Console part 2 in headless Chromium (SPEC §5.14, issue 30): record a cash payment on an
invoice and refund part of it, pause and change a plan, resolve plan conflicts, as a person
would; every part-2 page passes axe at 1280 px and fits 390 px without scrolling sideways; a
viewer gets the 403 page for invoices."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, run_axe
from tests.browser.console_finance_screens import finance_tenant
from tests.browser.console_screens import check_pages_fit_and_pass_axe, console_url, sign_in
from tests.console.helpers import add_member


def _api(live, tenant, path):
    resp = live.client().get(tenant.url(path), headers=tenant.headers)
    assert resp.status_code == 200
    return resp.get_json()


def test_record_a_cash_payment_and_refund_it(page, live, watch):
    tenant, made = finance_tenant(live)
    inv = made["invoices"][1]  # issued, nothing paid
    sign_in(page, live, tenant)
    page.get_by_role("link", name="Invoices").click()
    page.get_by_label("Status").select_option("ISSUED")
    page.get_by_role("button", name="Apply").click()
    number = _api(live, tenant, f"/admin/invoices/{inv['id']}")["number"]
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)

    due = _api(live, tenant, f"/admin/invoices/{inv['id']}")["amount_due_cents"]
    amount = page.get_by_label("Amount", exact=True).first
    expect(amount).to_have_value(f"{due // 100:,}.{due % 100:02d}")  # the amount due, ready
    amount.fill("100")
    page.get_by_label("Method").select_option("cash")
    page.get_by_label("Reference").fill("Paid at the door")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    expect(page.get_by_role("cell", name="Payment (Cash)")).to_be_visible()
    expect(page.get_by_text("Partly paid").first).to_be_visible()

    refund = page.locator("#refund-refund_amount")
    refund.fill("30")
    page.locator("#refund-reason").fill("Missed the balcony")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_text("Refund recorded.")).to_be_visible()
    expect(page.get_by_role("cell", name="Refund (Cash)")).to_be_visible()
    view = _api(live, tenant, f"/admin/invoices/{inv['id']}")
    assert view["paid_cents"] == 10000 and view["refunded_cents"] == 3000
    assert view["payments"][0]["reference"] == "Paid at the door"
    assert view["credit_notes"][0]["reason"] == "Refund: Missed the balcony"
    watch.clean()


def test_part_two_pages_pass_axe_and_fit_390px(page, live, watch):
    tenant, made = finance_tenant(live)
    sign_in(page, live, tenant)
    paths = [
        "/invoices",
        "/invoices?status=DRAFT",
        f"/invoices/{made['invoices'][0]['id']}",
        f"/invoices/{made['invoices'][2]['id']}",
        f"/invoices/{made['invoices'][3]['id']}",
        "/invoices/aging",
        "/reports",
        "/leads",
        "/leads?status=NEW",
        "/plans/conflicts",
        "/plans/new",
        f"/plans/new?customer_id={made['customers'][0][0]['id']}",
        "/invoices/new",
        f"/invoices/new?customer_id={made['customers'][0][0]['id']}",
    ]
    check_pages_fit_and_pass_axe(page, live, tenant, paths)
    watch.clean()


def test_a_viewer_gets_the_403_page_for_invoices(page, live, watch):
    tenant, made = finance_tenant(live)
    email = add_member(live.runtime, tenant, "viewer")
    sign_in(page, live, tenant, email)
    resp = page.goto(console_url(live, tenant, "/invoices"))
    assert resp.status == 403
    expect(page.get_by_text("This action needs the finance permission.")).to_be_visible()
    resp = page.goto(console_url(live, tenant, f"/invoices/{made['invoices'][1]['id']}"))
    assert resp.status == 403
    watch.clean(http_errors_ok=True)


def test_pause_a_plan_and_resume_it(page, live, watch):
    from tests.browser.console_finance_screens import console_plan

    console_plan(live, page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan of")
    assert run_axe(page) == []
    page.get_by_role("button", name="Pause plan").click()
    expect(page.get_by_text("Plan paused")).to_be_visible()
    expect(page.get_by_role("cell", name="Paused").first).to_be_visible()
    page.get_by_role("button", name="Resume plan").click()
    expect(page.get_by_text("Plan resumed")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url)
    assert horizontal_overflow(page) <= 0
    page.goto(page.url.split("/plans/")[0] + "/plans")
    assert horizontal_overflow(page) <= 0
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(page.url)
    assert run_axe(page) == []
    watch.clean()


def test_change_a_plan_from_a_date(page, live, watch):
    from tests.browser.console_finance_screens import console_plan

    console_plan(live, page)  # biweekly at 10:00 on team North
    plan_url = page.url
    page.locator("#change-effective_from").fill("2020-01-07")
    page.get_by_role("button", name="Change plan").click()
    expect(page.get_by_text("Nothing to change")).to_be_visible()
    page.locator("#change-frequency").select_option("weekly")
    page.get_by_role("button", name="Change plan").click()
    expect(page.locator("#change-effective_from-error")).to_contain_text("before today")
    assert run_axe(page) == []
    page.locator("#change-effective_from").fill(
        (date.fromisoformat(page.locator("#pause-from").input_value())).isoformat()
    )
    page.locator("#change-start_time").fill("13:30")
    page.get_by_role("button", name="Change plan").click()
    expect(page.get_by_text("Plan changed.")).to_be_visible()
    assert page.url.startswith(plan_url)
    expect(page.get_by_role("cell", name="1:30 PM").first).to_be_visible()
    expect(page.locator("#change-frequency")).to_have_value("weekly")
    watch.clean(http_errors_ok=True)


def test_resolve_plan_conflicts(page, live, watch):
    from tests.browser.console_finance_screens import conflicts_tenant

    tenant, made = conflicts_tenant(live, page)
    page.get_by_role("link", name="Today").click()
    page.get_by_role("link", name="See all and resolve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan visits waiting for a team")
    assert run_axe(page) == []
    cards = page.locator("li.conflict")
    before = cards.count()
    assert before > 1
    expect(page.get_by_text("Outside working hours").first).to_be_visible()
    expect(page.get_by_text("No team free").first).to_be_visible()
    first = cards.first
    first.get_by_label("Reason").fill("Away that week")
    first.get_by_role("button", name="Skip visit").click()
    expect(page.get_by_text("Visit skipped.")).to_be_visible()
    expect(cards).to_have_count(before - 1)
    second = cards.filter(has_text="No team free").first
    second.get_by_label("Start time").fill("15:00")
    second.get_by_role("button", name="Move visit").click()
    expect(page.get_by_text("Visit moved.")).to_be_visible()
    expect(cards).to_have_count(before - 2)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert horizontal_overflow(page) <= 0
    watch.clean()
