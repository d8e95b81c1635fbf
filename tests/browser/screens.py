"""The pages ``make screenshots`` photographs: one entry per page, in README order.

Each entry names the PNG and gives a function ``(live, page) -> None`` that brings ``page`` to
the page in the state worth showing (signing up a tenant, filling a form...). A new page adds one
entry here; ``tests/browser/test_screenshots.py`` shoots every entry at 1280×800 and 390×844.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import expect

from tests.browser import console_finance_screens as cf
from tests.browser import console_screens as cs
from tests.browser import ops_screens
from tests.browser.booking import fill_details, new_tenant, open_booking, pick_time
from tests.support import signup


@dataclass(frozen=True)
class Screen:
    name: str
    open: Callable
    http_errors: bool = False  # the page is shown after API errors it provoked on purpose


def booking(live, page) -> None:
    tenant = new_tenant(
        live,
        company_name="Sparkle & Shine Cleaning",
        booking_intro="Family-run since 2011. Insured, background-checked cleaners, "
        "eco-friendly products and a 24-hour re-clean guarantee.",
    )
    open_booking(page, live, tenant.slug)
    page.get_by_label("Inside the oven").check()
    pick_time(page)
    fill_details(page)
    expect(page.locator("#price")).not_to_have_text("105.00")


def booking_errors(live, page) -> None:
    tenant = new_tenant(live, company_name="Sparkle & Shine Cleaning", brand_color="#7c3aed")
    open_booking(page, live, tenant.slug)
    pick_time(page)
    fill_details(page, phone="12")
    page.get_by_role("button", name="Book").click()
    expect(page.locator("#phone-error")).not_to_be_empty()


def booking_done(live, page) -> None:
    tenant = new_tenant(live, company_name="Sparkle & Shine Cleaning")
    open_booking(page, live, tenant.slug)
    pick_time(page)
    fill_details(page)
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_url("**/book/done**")


def worker_invite(live, page) -> None:
    tenant = signup(live.client())
    page.goto(f"{live.url}/t/{tenant.slug}/work/accept-invite?token=example")


SCREENS: list[Screen] = [
    Screen("booking", booking),
    Screen("booking-errors", booking_errors, http_errors=True),
    Screen("booking-done", booking_done),
    Screen("worker-invite", worker_invite),
    # the operator console (/ops/, issue 32)
    Screen("ops-tenants", ops_screens.ops_tenants),
    Screen("ops-tenant", ops_screens.ops_tenant),
    Screen("ops-suspend", ops_screens.ops_suspend),
    Screen("ops-charts", ops_screens.ops_charts),
    Screen("ops-migrations", ops_screens.ops_migrations),
    Screen("ops-jobs", ops_screens.ops_jobs),
    Screen("ops-dlq", ops_screens.ops_dlq),
    # the staff console (/t/<slug>/console/, issue 29)
    Screen("console-login", cs.console_login),
    Screen("console-today", cs.console_today),
    Screen("console-schedule", cs.console_schedule),
    Screen("console-week", cs.console_week),
    Screen("console-customers", cs.console_customers),
    Screen("console-customer", cs.console_customer),
    Screen("console-customer-errors", cs.console_customer_errors, http_errors=True),
    Screen("console-bookings", cs.console_bookings),
    Screen("console-booking", cs.console_booking),
    Screen("console-new-booking", cs.console_new_booking),
    Screen("console-search", cs.console_search),
    Screen("console-soon", cs.console_soon),
    # the staff console, part 2 (issue 30)
    Screen("console-invoices", cf.console_invoices),
    Screen("console-invoice", cf.console_invoice),
    Screen("console-invoice-open", cf.console_invoice_open),
    Screen("console-invoice-errors", cf.console_invoice_errors, http_errors=True),
    Screen("console-aging", cf.console_aging),
    Screen("console-reports", cf.console_reports),
    Screen("console-leads", cf.console_leads),
    Screen("console-plans", cf.console_plans),
    Screen("console-plan", cf.console_plan),
]
