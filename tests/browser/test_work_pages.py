"""The worker pages on a phone in Chromium (SPEC §4.5, issue #31): sign in, tick the checklist,
start and finish the timer, take a photo; someone else's job is a 404."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, run_axe
from tests.browser.work import PHONE, crew_with_job, sign_in
from tests.photos.conftest import png_bytes
from tests.support import signup
from tests.workforce.helpers import make_worker
from tests.workpages.helpers import make_job


@pytest.fixture()
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


def test_a_cleaner_signs_in_and_runs_a_job_on_a_phone(page, live, watch):
    crew = crew_with_job(live)
    sign_in(page, live, crew)
    card = page.locator(".job-card").first
    expect(card).to_contain_text("221 Maple Avenue, T2P 1J9")
    expect(card).to_contain_text("Lockbox 4521 by the side door")
    expect(card).to_contain_text("Friendly dog (Biscuit)")
    expect(card.get_by_role("link", name="Open in maps")).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/search/\?api=1&query=221\+Maple")
    )
    assert horizontal_overflow(page) <= 0
    assert run_axe(page) == []
    card.locator(".job-link").click()
    page.wait_for_url(f"**/work/jobs/{crew.job}")

    first = page.locator(".checklist button.tick").first
    expect(first).to_have_attribute("aria-pressed", "false")
    first.tap()
    expect(page.locator(".checklist button.tick").first).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#done")).to_have_text("Saved.")

    page.get_by_role("button", name="Start").tap()
    expect(page.locator("#timer-state")).to_have_text("Running")
    page.get_by_role("button", name="Pause").tap()
    expect(page.locator("#timer-state")).to_have_text("Paused")
    page.get_by_role("button", name="Resume").tap()
    page.get_by_label("Note for the office").fill("Back door was locked; used the lockbox.")
    page.get_by_role("button", name="Finish").tap()
    expect(page.locator("#timer-finished")).to_have_text("You finished this job.")

    page.get_by_role("radio", name="After").tap()
    expect(page.get_by_role("radio", name="After")).to_be_checked()
    page.get_by_label("Take a photo").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.wait_for_url(re.compile(r"done=photo"))
    expect(page.locator("#done")).to_have_text("Photo sent.")
    expect(page.locator(".photos img")).to_have_count(1)
    expect(page.locator(".photos .tag").first).to_have_text("After")
    # The thumbnail is loading="lazy": it may still be on its way when the page is up (CI read
    # naturalWidth 0 once). Wait until the browser is done with it; a broken image is "complete"
    # too, with naturalWidth 0, so the assertion still catches a photo that does not load.
    photo = page.locator(".photos img")
    photo.scroll_into_view_if_needed()
    photo.evaluate(
        "img => img.complete || new Promise(done => {"
        " img.addEventListener('load', done); img.addEventListener('error', done); })"
    )
    assert photo.evaluate("img => img.naturalWidth") == 1
    assert horizontal_overflow(page) <= 0
    assert run_axe(page) == []
    watch.clean()


def test_the_camera_input_asks_for_the_back_camera(page, live, watch):
    crew = crew_with_job(live)
    sign_in(page, live, crew)
    page.goto(f"{live.url}/t/{crew.tenant.slug}/work/jobs/{crew.job}")
    camera = page.get_by_label("Take a photo")
    expect(camera).to_have_attribute("accept", "image/*")
    expect(camera).to_have_attribute("capture", "environment")
    assert page.locator("link[rel=manifest]").count() == 1
    watch.clean()


def test_another_workers_and_another_workspaces_jobs_are_404(page, live, watch):
    crew = crew_with_job(live)
    client = live.client()
    colleague = make_worker(client, crew.tenant)
    theirs = make_job(client, crew.tenant, colleague.id)
    other = signup(client)
    stranger = make_worker(client, other)
    foreign = max(make_job(client, other, stranger.id) for _ in range(3))
    assert foreign not in (crew.job, theirs)  # an id that means something only over there
    sign_in(page, live, crew)
    for job in (theirs, foreign):
        resp = page.goto(f"{live.url}/t/{crew.tenant.slug}/work/jobs/{job}")
        assert resp.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Job not found")
    watch.clean(http_errors_ok=True)
