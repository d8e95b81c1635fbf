"""A job on the worker pages: On my way, checklist, timer and photos call the worker API's
services and show its errors (with its status) beside the part they concern."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select, update

from shared import db
from shared.runtime import use_runtime
from shared.tenancy import tenant_context
from tenantapp.timetracking.models import TimeEntry, TimeSegment
from tests.photos.conftest import png_bytes
from tests.support import ApiClient, signup
from tests.workforce.helpers import make_worker
from tests.workpages.helpers import csrf_of, make_job, sign_in, signed_in_worker, work


def _job(client, tenant, booking_id):
    page = client.get(work(tenant, f"jobs/{booking_id}"))
    return page, csrf_of(page.text) if page.status_code == 200 else None


def _post(client, tenant, path, csrf, **form):
    return client.post(work(tenant, path), data={"csrf_token": csrf, **form})


def _run(client, tenant, booking_id):
    return client.get(
        tenant.url(f"/admin/bookings/{booking_id}/checklist"), headers=tenant.headers
    ).get_json()


def test_tapping_an_item_ticks_it_and_tapping_again_unticks_it(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    page, csrf = _job(client, tenant, job)
    assert page.status_code == 200
    item = _run(client, tenant, job)["items"][0]  # opened by the page (init is idempotent)
    assert f'id="item-{item["id"]}"' in page.text
    tick = _post(client, tenant, f"jobs/{job}/checklist/items/{item['id']}", csrf, done="true")
    assert tick.status_code == 303
    assert tick.headers["Location"].endswith(f"done=ticked#item-{item['id']}")
    ticked = _run(client, tenant, job)["items"][0]
    assert ticked["done"] is True and ticked["done_by"] == f"worker:{worker.id}"
    again = client.get(work(tenant, f"jobs/{job}"))
    assert re.search(rf'id="item-{item["id"]}" class="done', again.text)
    _post(client, tenant, f"jobs/{job}/checklist/items/{item['id']}", csrf, done="false")
    assert _run(client, tenant, job)["items"][0]["done"] is False
    note = _post(
        client, tenant, f"jobs/{job}/checklist/items/{item['id']}", csrf, note="Oven very dirty"
    )
    assert note.status_code == 303
    assert _run(client, tenant, job)["items"][0]["note"] == "Oven very dirty"


def test_completing_with_required_items_open_lists_them_like_the_api(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    _, csrf = _job(client, tenant, job)
    resp = _post(client, tenant, f"jobs/{job}/checklist/complete", csrf)
    assert resp.status_code == 400
    required = [i for i in _run(client, tenant, job)["items"] if i["required"]]
    assert required
    for item in required:
        assert re.search(rf'id="item-{item["id"]}" class=" missing"', resp.text)
    for item in required:
        _post(client, tenant, f"jobs/{job}/checklist/items/{item['id']}", csrf, done="true")
    assert _post(client, tenant, f"jobs/{job}/checklist/complete", csrf).status_code == 303
    first = _run(client, tenant, job)["items"][0]
    late = _post(client, tenant, f"jobs/{job}/checklist/items/{first['id']}", csrf, done="true")
    assert late.status_code == 409  # the API's: a completed checklist no longer changes
    assert "completed" in late.text


def test_a_note_longer_than_the_api_allows_is_422_beside_the_checklist(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    _, csrf = _job(client, tenant, job)
    item = _run(client, tenant, job)["items"][0]
    path = f"jobs/{job}/checklist/items/{item['id']}"
    assert _post(client, tenant, path, csrf, note="x" * 2000).status_code == 303  # the boundary
    assert _post(client, tenant, path, csrf, note="x" * 2001).status_code == 422


def test_the_timer_starts_pauses_resumes_and_finishes(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    page, csrf = _job(client, tenant, job)
    assert ">Start</button>" in page.text
    for action in ("start", "pause", "resume"):
        resp = _post(client, tenant, f"jobs/{job}/time/{action}", csrf)
        assert resp.status_code == 303, resp.text
    again = _post(client, tenant, f"jobs/{job}/time/resume", csrf)  # RUNNING cannot resume
    assert again.status_code == 409
    assert "The timer is RUNNING; it cannot resume." in again.text
    done = _post(client, tenant, f"jobs/{job}/time/finish", csrf, note="All good")
    assert done.status_code == 303
    summary = client.get(tenant.url(f"/admin/bookings/{job}/time"), headers=tenant.headers)
    mine = summary.get_json()["workers"][0]
    assert (mine["worker_id"], mine["state"], mine["note"]) == (worker.id, "FINISHED", "All good")
    assert "You finished this job." in client.get(work(tenant, f"jobs/{job}")).text
    assert _post(client, tenant, f"jobs/{job}/time/rewind", csrf).status_code == 404


def _age_timer(runtime, tenant, booking_id, minutes):
    """Move the worker's running segment back so its effective time is ``minutes``."""
    with (
        use_runtime(runtime),
        tenant_context(runtime.tenants.by_id(tenant.id)),
        db.transaction() as tx,
    ):
        entry = tx.scalar(select(TimeEntry).where(TimeEntry.booking_id == booking_id))
        seg = tx.scalar(select(TimeSegment).where(TimeSegment.entry_id == entry.id))
        tx.execute(
            update(TimeSegment)
            .where(TimeSegment.id == seg.id)
            .values(started_at=seg.started_at - timedelta(minutes=minutes))
        )


def test_finishing_over_1_2_times_planned_needs_the_reason_beside_its_field(
    client, tenant, runtime
):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)  # 2 bd / 1 ba: planned 180 min
    planned = client.get(tenant.url(f"/admin/bookings/{job}"), headers=tenant.headers).get_json()[
        "duration_minutes"
    ]
    _, csrf = _job(client, tenant, job)
    _post(client, tenant, f"jobs/{job}/time/start", csrf)
    _age_timer(runtime, tenant, job, planned * 6 // 5 + 1)
    resp = _post(client, tenant, f"jobs/{job}/time/finish", csrf)
    assert resp.status_code == 422
    assert re.search(r'id="overrun_reason-error"[^>]*>The job took more than 1.2', resp.text)
    bad = _post(client, tenant, f"jobs/{job}/time/finish", csrf, overrun_reason="LAZY")
    assert bad.status_code == 422
    ok = _post(client, tenant, f"jobs/{job}/time/finish", csrf, overrun_reason="EXTRA_DIRT")
    assert ok.status_code == 303


def test_on_my_way_texts_once_and_the_second_time_is_the_apis_409(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id, sms_opt_in=True)
    page, csrf = _job(client, tenant, job)
    assert ">On my way</button>" in page.text
    bad = _post(client, tenant, f"jobs/{job}/on-my-way", csrf, eta_minutes="241")
    assert bad.status_code == 422  # the API's range: 1..240
    sent = _post(client, tenant, f"jobs/{job}/on-my-way", csrf, eta_minutes="15")
    assert sent.status_code == 303, sent.text
    after = client.get(work(tenant, f"jobs/{job}"))
    assert "The customer was texted at" in after.text
    twice = _post(client, tenant, f"jobs/{job}/on-my-way", csrf)
    assert twice.status_code == 409


def test_the_eta_boundaries_are_the_apis(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id, sms_opt_in=True)
    _, csrf = _job(client, tenant, job)
    for bad in ("0", "-5", "soon"):
        assert (
            _post(client, tenant, f"jobs/{job}/on-my-way", csrf, eta_minutes=bad).status_code == 422
        )
    assert (
        _post(client, tenant, f"jobs/{job}/on-my-way", csrf, eta_minutes="240").status_code == 303
    )


def test_on_my_way_to_a_customer_without_sms_consent_is_409_opted_out(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    _, csrf = _job(client, tenant, job)
    resp = _post(client, tenant, f"jobs/{job}/on-my-way", csrf)
    assert resp.status_code == 409
    assert "has not agreed to texts" in resp.text


def _photo(client, tenant, job, csrf, data, phase="BEFORE", name="p.png"):
    return client.post(
        work(tenant, f"jobs/{job}/photos?csrf={csrf}"),
        data={"phase": phase, "file": (io.BytesIO(data), name, "image/png")},
        content_type="multipart/form-data",
    )


def test_a_photo_from_the_camera_is_stored_and_shown_and_can_be_deleted(client, tenant, runtime):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    _, csrf = _job(client, tenant, job)
    resp = _photo(client, tenant, job, csrf, png_bytes())
    assert resp.status_code == 303, resp.text
    listed = client.get(tenant.url(f"/admin/bookings/{job}/photos"), headers=tenant.headers)
    photo = listed.get_json()["items"][0]
    assert photo["phase"] == "BEFORE"
    page = client.get(work(tenant, f"jobs/{job}"))
    src = re.search(r'<img src="([^"]+)"', page.text).group(1)
    assert src.startswith(f"/t/{tenant.slug}/v1/photos/download?token=")
    assert client.get(src.replace("&amp;", "&")).data == png_bytes()
    gone = _post(client, tenant, f"jobs/{job}/photos/{photo['id']}/delete", csrf)
    assert gone.status_code == 303
    listed = client.get(tenant.url(f"/admin/bookings/{job}/photos"), headers=tenant.headers)
    assert listed.get_json()["items"] == []


def test_photo_errors_are_the_apis(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    _, csrf = _job(client, tenant, job)
    assert _photo(client, tenant, job, csrf, b"GIF89a" + b"\x00" * 50).status_code == 415
    assert _photo(client, tenant, job, csrf, png_bytes(), phase="DURING").status_code == 422
    assert _photo(client, tenant, job, "forged", png_bytes()).status_code == 403
    no_consent = make_job(client, tenant, worker.id, consent=False)
    _, csrf2 = _job(client, tenant, no_consent)
    refused = _photo(client, tenant, no_consent, csrf2, png_bytes())
    assert refused.status_code == 403
    assert "photo" in refused.text.lower()


def test_forms_without_the_session_token_or_from_another_site_are_refused(client, tenant):
    worker = signed_in_worker(client, tenant)
    job = make_job(client, tenant, worker.id)
    _, csrf = _job(client, tenant, job)
    assert _post(client, tenant, f"jobs/{job}/time/start", "forged").status_code == 403
    cross = client.post(
        work(tenant, f"jobs/{job}/time/start"),
        data={"csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    summary = client.get(tenant.url(f"/admin/bookings/{job}/time"), headers=tenant.headers)
    assert summary.get_json()["state"] == "NOT_STARTED"


def test_another_workers_job_and_another_tenants_job_are_404(client, tenant):
    me = signed_in_worker(client, tenant)
    other_team_mate = make_worker(client, tenant)
    theirs = make_job(client, tenant, other_team_mate.id)
    page, _ = _job(client, tenant, theirs)
    assert page.status_code == 404
    assert "Job not found" in page.text
    mine = make_job(client, tenant, me.id)
    _, csrf = _job(client, tenant, mine)
    for path in (
        f"jobs/{theirs}/time/start",
        f"jobs/{theirs}/on-my-way",
        f"jobs/{theirs}/checklist/complete",
    ):
        assert _post(client, tenant, path, csrf).status_code == 404
    other = signup(client)
    foreign_worker = make_worker(client, other)
    foreign_job = max(make_job(client, other, foreign_worker.id) for _ in range(3))
    assert foreign_job not in (theirs, mine)  # an id that means something only over there
    assert client.get(work(tenant, f"jobs/{foreign_job}")).status_code == 404
    # My cookie is scoped to my workspace's path: the other workspace's pages ask me to sign in.
    assert client.get(work(other, f"jobs/{foreign_job}")).status_code == 303


def test_signing_out_revokes_the_session_row(client, tenant):
    signed_in_worker(client, tenant)
    page = client.get(work(tenant))
    cookie = client.get_cookie("work_session", path=f"/t/{tenant.slug}/work")
    out = _post(client, tenant, "logout", csrf_of(page.text))
    assert out.status_code == 303
    client.set_cookie("work_session", cookie.value, path=f"/t/{tenant.slug}/work")
    assert client.get(work(tenant)).status_code == 303  # the copied token is dead


def test_deactivating_the_worker_signs_them_out_at_once(client, tenant):
    worker = signed_in_worker(client, tenant)
    assert client.get(work(tenant)).status_code == 200
    resp = client.patch(
        tenant.url(f"/admin/workers/{worker.id}"), json={"active": False}, headers=tenant.headers
    )
    assert resp.status_code == 200
    assert client.get(work(tenant)).status_code == 303


def test_the_manifest_lets_the_phone_add_the_pages_to_its_home_screen(client, tenant):
    resp = client.get(work(tenant, "manifest.webmanifest"))
    assert resp.status_code == 200
    assert resp.mimetype == "application/manifest+json"
    body = resp.get_json(force=True)
    assert body["start_url"] == f"/t/{tenant.slug}/work/"
    assert body["display"] == "standalone"
    sizes = {i["sizes"] for i in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_invite_page_is_styled_and_links_to_sign_in(client, tenant):
    resp = client.post(
        tenant.url("/admin/workers"),
        json={"name": "New Cleaner", "email": "new.cleaner@example.com"},
        headers=tenant.headers,
    )
    invite = resp.get_json()["invite_url"]
    path = invite[invite.index("/t/") :]
    page = client.get(path)
    assert page.status_code == 200
    assert "app.css" in page.text and "work.css" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    from tests.support import PASSWORD

    done = client.post(
        path, data={"token": token, "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert done.status_code == 200
    assert f"/t/{tenant.slug}/work/login?email=new.cleaner@example.com" in done.text
    assert sign_in(client, tenant, "new.cleaner@example.com").status_code == 303


def test_a_photo_of_exactly_the_cap_is_taken_and_one_byte_more_is_413(runtime):
    from wsgi import create_wsgi

    small = ApiClient(create_wsgi(runtime.settings.replace(photo_max_bytes=2048)))
    tenant = signup(small)
    worker = signed_in_worker(small, tenant)
    job = make_job(small, tenant, worker.id)
    _, csrf = _job(small, tenant, job)
    assert _photo(small, tenant, job, csrf, png_bytes(2048)).status_code == 303
    over = _photo(small, tenant, job, csrf, png_bytes(2049))
    assert over.status_code == 413
    assert "at most 2048 bytes" in over.text
    listed = small.get(tenant.url(f"/admin/bookings/{job}/photos"), headers=tenant.headers)
    assert len(listed.get_json()["items"]) == 1
