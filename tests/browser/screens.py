"""The pages ``make screenshots`` photographs: one entry per page, in README order.

Each entry names the PNG and gives a function ``(live, page) -> None`` that brings ``page`` to
the page in the state worth showing (signing up a tenant, filling a form...). A new page adds one
entry here; ``tests/browser/test_screenshots.py`` shoots every entry at 1280×800 and 390×844.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import expect

from tests.browser import account_screens, ops_screens, owner, work
from tests.browser import console_finance_screens as cf
from tests.browser import console_people_screens as cp
from tests.browser import console_screens as cs
from tests.browser import console_settings_screens as cset
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


def work_login(live, page) -> None:
    crew = work.crew_with_job(live)
    page.goto(f"{live.url}/t/{crew.tenant.slug}/work/login")


def work_jobs(live, page) -> None:
    crew = work.crew_with_job(live)
    work.add_jobs(live, crew)
    work.sign_in(page, live, crew)


def work_job(live, page) -> None:
    crew = work.crew_with_job(live, sms_opt_in=True)
    work.sign_in(page, live, crew)
    page.goto(f"{live.url}/t/{crew.tenant.slug}/work/jobs/{crew.job}")
    page.locator(".checklist button.tick").first.click()
    page.get_by_role("button", name="Start").click()
    page.locator("#timer-state").wait_for()


def owner_signup(live, page) -> None:
    page.goto(f"{live.url}/signup")
    page.get_by_label("Company name").fill("Sparkle & Shine Cleaning")
    page.get_by_label("Email").fill("maria@sparkleshine.example")
    page.locator("#slug-status").wait_for()


def owner_signup_errors(live, page) -> None:
    taken = signup(live.client())
    page.goto(f"{live.url}/signup")
    page.get_by_label("Company name").fill("Sparkle & Shine Cleaning")
    page.get_by_label("Workspace address").fill(taken.slug)
    page.get_by_label("Email").fill(taken.email)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.locator("#password-error")).not_to_be_empty()


def owner_login(live, page) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill("maria@sparkleshine.example")


def owner_chooser(live, page) -> None:
    first, _ = owner.two_workspaces(live)
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(first.email)
    page.get_by_label("Password").fill(first.password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#workspaces").wait_for()


def owner_invitation(live, page) -> None:
    _, _, token = owner.invitation(live)
    page.goto(f"{live.url}/invitations/{token}")


def owner_reset(live, page) -> None:
    page.goto(f"{live.url}/reset-password?token=example")


def owner_billing(live, page) -> None:
    first, _ = owner.two_workspaces(live)
    client = live.client()
    for name in ("Maria Santos", "Jon Park"):  # real usage for the bars
        resp = client.post(
            first.url("/admin/workers"),
            json={"name": name, "email": f"{name.split()[0].lower()}-{first.slug}@example.com"},
            headers=first.headers,
        )
        assert resp.status_code == 201, resp.get_json()
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(first.email)
    page.get_by_label("Password").fill(first.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=re.compile("Sparkle & Shine Cleaning")).click()
    page.wait_for_url(re.compile(r"/console/"))
    page.goto(f"{live.url}/t/{first.slug}/console/settings/billing")


SCREENS: list[Screen] = [
    Screen("booking", booking),
    Screen("booking-errors", booking_errors, http_errors=True),
    Screen("booking-done", booking_done),
    Screen("worker-invite", worker_invite),
    # the worker pages (/t/<slug>/work/, issue 31)
    Screen("work-login", work_login),
    Screen("work-jobs", work_jobs),
    Screen("work-job", work_job),
    # the owners' pages of the control plane (issue 31)
    Screen("owner-signup", owner_signup),
    Screen("owner-signup-errors", owner_signup_errors, http_errors=True),
    Screen("owner-login", owner_login),
    Screen("owner-chooser", owner_chooser),
    Screen("owner-invitation", owner_invitation),
    Screen("owner-reset", owner_reset),
    Screen("owner-billing", owner_billing),
    # the customer's account, invoice and review pages (issue 28)
    Screen("account-signin", account_screens.account_signin),
    Screen("account", account_screens.account_home),
    Screen("account-cancel", account_screens.account_cancel),
    Screen("account-reschedule", account_screens.account_reschedule),
    Screen("invoice", account_screens.invoice_page),
    Screen("feedback", account_screens.feedback_page),
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
    # Console Workers and Messages (issue 30, items 3 and 7)
    Screen("console-workers", cp.console_workers),
    Screen("console-worker", cp.console_worker),
    Screen("console-teams", cp.console_teams),
    Screen("console-timesheets", cp.console_timesheets),
    Screen("console-conversations", cp.console_conversations),
    Screen("console-conversation", cp.console_conversation),
    Screen("console-previews", cp.console_previews),
    # the staff console's Settings (issue 30, item 5)
    Screen("console-settings", cset.console_settings),
    Screen("console-settings-hours", cset.console_settings_hours),
    Screen("console-settings-pricing", cset.console_settings_pricing),
    Screen(
        "console-settings-pricing-errors", cset.console_settings_pricing_errors, http_errors=True
    ),
    Screen("console-settings-taxes", cset.console_settings_taxes),
    Screen("console-settings-branding", cset.console_settings_branding),
    Screen("console-settings-sms", cset.console_settings_sms),
    Screen("console-settings-members", cset.console_settings_members),
    Screen("console-plan-change-errors", cf.console_plan_change_errors, http_errors=True),
    Screen("console-plan-conflicts", cf.console_plan_conflicts),
    Screen("console-new-plan", cf.console_new_plan),
    Screen("console-new-invoice", cf.console_new_invoice, http_errors=True),
]
