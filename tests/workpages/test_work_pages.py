"""The worker pages over HTTP (SPEC §4.5): sign-in with a worker-session cookie and CSRF, the
jobs list, and a job's actions through the same services and errors as the worker API."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.support import PASSWORD
from tests.workforce.helpers import make_worker
from tests.workpages.helpers import (
    csrf_of,
    later_today,
    make_job,
    move_to,
    sign_in,
    signed_in_worker,
    work,
)


def test_sign_in_sets_an_httponly_lax_cookie_scoped_to_the_workspace(client, tenant):
    worker = make_worker(client, tenant)
    page = client.get(work(tenant, "login"))
    assert page.status_code == 200
    html = page.text
    for label in ("Email", "Password"):
        assert re.search(rf'<label for="\w+">{label}</label>', html)
    assert ">Sign in</button>" in html
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    resp = sign_in(client, tenant, worker.email)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/t/{tenant.slug}/work/")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("work_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Path=/t/{tenant.slug}/work" in cookie
    assert "Secure" not in cookie  # test settings are not prod
    jobs = client.get(work(tenant))
    assert jobs.status_code == 200
    assert "Sign out" in jobs.text


def test_a_wrong_password_shows_the_api_error_and_no_cookie(client, tenant):
    worker = make_worker(client, tenant)
    resp = sign_in(client, tenant, worker.email, password="Wrong-password-1")
    assert resp.status_code == 401
    assert "The e-mail or password is wrong." in resp.text
    assert not any(c.startswith("work_session=") for c in resp.headers.getlist("Set-Cookie"))
    assert client.get(work(tenant)).status_code == 303  # still signed out


def test_sign_in_without_the_forms_token_or_from_another_site_is_refused(client, tenant):
    worker = make_worker(client, tenant)
    client.get(work(tenant, "login"))
    body = {"email": worker.email, "password": PASSWORD}
    assert client.post(work(tenant, "login"), data=body).status_code == 403
    page = client.get(work(tenant, "login"))
    body["csrf_token"] = csrf_of(page.text)
    cross = client.post(
        work(tenant, "login"), data=body, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert client.post(work(tenant, "login"), data=body).status_code == 303


def test_sign_in_failures_are_limited_per_account_like_the_api(client, tenant, runtime):
    worker = make_worker(client, tenant)
    limit = int(runtime.settings.rate_limit_login_account.split("/")[0])
    for _ in range(limit):
        assert sign_in(client, tenant, worker.email, password="Wrong-password-1").status_code == 401
    locked = sign_in(client, tenant, worker.email)  # even the right password now waits
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_pages_without_a_session_send_the_worker_to_sign_in(client, tenant):
    job = client.get(work(tenant, "jobs/1"))
    assert job.status_code == 303
    assert "/work/login?next=/work/jobs/1" in job.headers["Location"]


def test_jobs_list_today_and_upcoming_with_address_map_link_access_notes_pets_and_crew(
    client, tenant, runtime
):
    worker = signed_in_worker(client, tenant, name="Ana Lopez")
    mate = make_worker(client, tenant, name="Bo Crew")
    upcoming = make_job(
        client,
        tenant,
        worker.id,
        address="12 Elm Street",
        postal_code="T2P 1J9",
        access_notes="Code 4521 at the side door",
        pets="Cat (Milo), stays in",
    )
    today = make_job(client, tenant, worker.id)
    move_to(runtime, tenant, today, later_today(timedelta(minutes=5)))
    crew = client.post(
        tenant.url(f"/admin/bookings/{upcoming}/workers"),
        json={"worker_ids": [worker.id, mate.id]},
        headers=tenant.headers,
    )
    assert crew.status_code == 200, crew.get_json()
    page = client.get(work(tenant))
    html = page.text
    assert page.status_code == 200
    today_part, upcoming_part = html.split('id="h-upcoming"')
    assert f"/work/jobs/{today}" in today_part and f"/work/jobs/{upcoming}" in upcoming_part
    assert "12 Elm Street, T2P 1J9" in upcoming_part
    assert "https://www.google.com/maps/search/?api=1&amp;query=12+Elm+Street%2C+T2P+1J9" in html
    assert "Ana Lopez, Bo Crew" in html
    assert "Cat (Milo), stays in" in html
    assert "Code 4521 at the side door" in html
    assert 'rel="manifest"' in html


def test_a_worker_without_jobs_is_told_so(client, tenant):
    signed_in_worker(client, tenant)
    page = client.get(work(tenant))
    assert "No jobs today." in page.text and "Nothing else scheduled yet." in page.text
