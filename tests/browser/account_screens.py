"""The customer's pages for ``make screenshots`` (issue #28): sign-in, the account page with a
plan, an upcoming visit, an invoice and a past visit, the cancel and reschedule steps, the
invoice page and the review page."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import account
from tests.browser.booking import connect_stripe, new_tenant, working_day

COMPANY = "Sparkle & Shine Cleaning"


def _customer(live):
    """A customer with a weekly plan, a one-off visit and a completed (invoiced) visit."""
    tenant = new_tenant(live, company_name=COMPANY)
    email = account.email()
    account.completed_visit_at(live, tenant, email, working_day(3), "14:00")
    customer = account.customer_id(live, tenant, email)
    resp = live.client().post(
        tenant.url("/admin/plans"),
        json={
            "customer_id": customer,
            "frequency": "biweekly",
            "first_date": working_day(5).isoformat(),
            "start_time": "15:00",
            "estimate_request": {"beds": 3, "baths": 2},
        },
        headers={**tenant.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert resp.status_code == 201, resp.get_json()
    made = account.booking(live, tenant, email, day=working_day(10), hhmm="09:00")
    return tenant, email, made


def account_signin(live, page) -> None:
    tenant = new_tenant(live, company_name=COMPANY)
    page.goto(f"{live.url}/t/{tenant.slug}/account")
    expect(page.get_by_label("Email")).to_be_visible()


def account_home(live, page) -> None:
    tenant, email, _ = _customer(live)
    account.sign_in(page, live, tenant, email)
    expect(page.locator("#plans")).to_be_visible()


def account_cancel(live, page) -> None:
    tenant, email, made = _customer(live)
    account.sign_in(page, live, tenant, email)
    page.goto(f"{live.url}/t/{tenant.slug}/account/bookings/{made['id']}/cancel")
    expect(page.locator("#refund")).to_be_visible()


def account_reschedule(live, page) -> None:
    tenant, email, made = _customer(live)
    account.sign_in(page, live, tenant, email)
    page.goto(f"{live.url}/t/{tenant.slug}/account/bookings/{made['id']}/reschedule")
    expect(page.get_by_role("radio").first).to_be_visible()


def invoice_page(live, page) -> None:
    tenant = new_tenant(live, company_name=COMPANY)
    made = account.completed_visit(live, tenant, account.email())
    connect_stripe(live, tenant)  # so the page shows Pay (after the visit: no deposit)
    invoices = live.client().get(tenant.url("/admin/invoices"), headers=tenant.headers).get_json()
    inv = next(i for i in invoices["items"] if i["booking_id"] == made["id"])
    page.goto(account.invoice_page_url(live, tenant, inv["id"]))
    expect(page.get_by_role("heading", name="INVOICE")).to_be_visible()


def feedback_page(live, page) -> None:
    tenant = new_tenant(live, company_name=COMPANY)
    account.completed_visit(live, tenant, account.email())
    page.goto(account.sealed(live, tenant, "review_request", "feedback_url")[-1])
    expect(page.get_by_role("radio", name="10")).to_be_visible()
