"""Helpers for the worker pages in Chromium: a workspace with a signed-up cleaner and jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.booking import new_tenant
from tests.support import PASSWORD
from tests.workforce.helpers import make_worker
from tests.workpages.helpers import later_today, make_job, move_to

PHONE = {"width": 390, "height": 844}


@dataclass
class Crew:
    tenant: object
    worker: object
    job: int


def crew_with_job(live, company_name: str = "Sparkle & Shine Cleaning", **lead) -> Crew:
    tenant = new_tenant(live, company_name=company_name)
    client = live.client()
    worker = make_worker(client, tenant, name="Maria Santos")
    job = make_job(
        client,
        tenant,
        worker.id,
        address=lead.pop("address", "221 Maple Avenue"),
        postal_code=lead.pop("postal_code", "T2P 1J9"),
        access_notes=lead.pop("access_notes", "Lockbox 4521 by the side door"),
        pets=lead.pop("pets", "Friendly dog (Biscuit)"),
        **lead,
    )
    return Crew(tenant, worker, job)


def sign_in(page: Page, live, crew: Crew) -> None:
    page.goto(f"{live.url}/t/{crew.tenant.slug}/work/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your jobs")
    page.get_by_label("Email").fill(crew.worker.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hi Maria Santos")


def add_jobs(live, crew: Crew) -> None:
    """A few more jobs for the list: one today (placed directly: today may be a day off), one
    for a colleague's crew with this worker, and a team job with no crew yet."""
    client = live.client()
    today = make_job(client, crew.tenant, crew.worker.id, address="8 Birch Lane", pets="")
    move_to(live.runtime, crew.tenant, today, later_today(timedelta(hours=1)))
    mate = make_worker(client, crew.tenant, name="Jon Park")
    shared = make_job(client, crew.tenant, crew.worker.id, address="90 Harbour Road, Unit 5")
    resp = client.post(
        crew.tenant.url(f"/admin/bookings/{shared}/workers"),
        json={"worker_ids": [crew.worker.id, mate.id]},
        headers=crew.tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    make_job(client, crew.tenant, None, address="17 Cedar Court")
