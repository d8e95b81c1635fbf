"""Plans in the console (SPEC §5.14, §5.10): list, the plan with its schedule preview, pause,
resume and cancel through the API's services with their errors beside the fields; view reads,
dispatch changes; other workspaces' plans are 404."""

from __future__ import annotations

from datetime import date, timedelta

from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.plans.conftest import create_plan, next_weekday, plan_bookings, today


def _plan(client, tenant, plan_id):
    resp = client.get(tenant.url(f"/admin/plans/{plan_id}"), headers=tenant.headers)
    assert resp.status_code == 200
    return resp.get_json()


def _post(client, tenant, plan_id, tail, data):
    page = client.get(console(tenant, f"/plans/{plan_id}"))
    return post_form(
        client, console(tenant, f"/plans/{plan_id}{tail}"), data, token=csrf_of(page.text)
    )


def test_the_list_and_its_status_filter(client, tenant):
    plan = create_plan(client, tenant)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/plans"))
    assert page.status_code == 200
    assert f"/console/plans/{plan['id']}" in page.text and "Weekly" in page.text
    paused = client.get(console(tenant, "/plans?status=PAUSED"))
    assert f"/console/plans/{plan['id']}" not in paused.text and "No plans match." in paused.text
    bad = client.get(console(tenant, "/plans?status=GONE"))
    assert bad.status_code == 422 and 'id="filter-status-error" aria-live="polite">Must' in bad.text


def test_the_plan_page_previews_twelve_weeks(client, tenant):
    first = next_weekday(1)
    plan = create_plan(client, tenant, first_date=first)
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/plans/{plan['id']}"))
    assert page.status_code == 200 and "Schedule, next 12 weeks" in page.text
    horizon = today() + timedelta(weeks=12)
    expected = [
        first + timedelta(weeks=w) for w in range(13) if first + timedelta(weeks=w) < horizon
    ]
    for day in expected:
        assert day.strftime("%A %B %d, %Y").replace(" 0", " ") in page.text
    assert page.text.count('class="status visit-') == len(expected)
    assert "Booked" in page.text  # visits within the booking horizon are real bookings


def test_pause_resume_and_cancel(client, tenant):
    first = next_weekday(1)
    plan = create_plan(client, tenant, first_date=first)
    signed_in(client, tenant)
    yesterday = (today() - timedelta(days=1)).isoformat()
    past = _post(client, tenant, plan["id"], "/pause", {"from": yesterday})
    assert past.status_code == 422 and 'id="pause-from-error" aria-live="polite">' in past.text
    assert _plan(client, tenant, plan["id"])["status"] == "ACTIVE"
    until = (first + timedelta(weeks=2)).isoformat()
    paused = _post(
        client, tenant, plan["id"], "/pause", {"from": first.isoformat(), "until": until}
    )
    assert paused.status_code == 303, paused.text[:500]
    view = _plan(client, tenant, plan["id"])
    assert view["status"] == "PAUSED" and view["paused_until"] == until
    page = client.get(paused.headers["Location"])
    assert "Plan paused" in page.text and "Resume plan" in page.text
    resumed = _post(client, tenant, plan["id"], "/resume", {})
    assert resumed.status_code == 303 and _plan(client, tenant, plan["id"])["status"] == "ACTIVE"
    again = _post(client, tenant, plan["id"], "/resume", {})
    assert again.status_code == 409  # the API's invalid transition, as a message on the page
    no_reason = _post(client, tenant, plan["id"], "/cancel", {"effective_on": first.isoformat()})
    assert no_reason.status_code == 422
    assert 'id="cancel-reason-error" aria-live="polite">Missing' in no_reason.text
    cancelled = _post(
        client,
        tenant,
        plan["id"],
        "/cancel",
        {"effective_on": first.isoformat(), "reason": "Moving away"},
    )
    assert cancelled.status_code == 303
    assert _plan(client, tenant, plan["id"])["status"] == "CANCELLED"
    page = client.get(cancelled.headers["Location"])
    assert "Plan cancelled" in page.text and "Pause plan" not in page.text


def test_a_viewer_reads_but_cannot_pause(client, runtime, tenant):
    plan = create_plan(client, tenant)
    signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    page = client.get(console(tenant, f"/plans/{plan['id']}"))
    assert page.status_code == 200
    resp = post_form(
        client,
        console(tenant, f"/plans/{plan['id']}/pause"),
        {"from": today().isoformat()},
        token=csrf_of(page.text),
    )
    assert resp.status_code == 403 and "dispatch permission" in resp.text
    assert _plan(client, tenant, plan["id"])["status"] == "ACTIVE"
    change = post_form(
        client,
        console(tenant, f"/plans/{plan['id']}/change"),
        {"effective_from": today().isoformat(), "frequency": "biweekly"},
        token=csrf_of(page.text),
    )
    assert change.status_code == 403 and "dispatch permission" in change.text
    assert _plan(client, tenant, plan["id"])["frequency"] == "weekly"


def test_another_workspaces_plan_is_a_404(client, tenant, other_tenant):
    for _ in range(3):
        theirs = create_plan(client, other_tenant)
    mine = client.get(tenant.url("/admin/plans"), headers=tenant.headers).get_json()["items"]
    assert theirs["id"] not in {p["id"] for p in mine}
    token = signed_in(client, tenant)
    assert client.get(console(tenant, f"/plans/{theirs['id']}")).status_code == 404
    for tail, data in (
        ("/pause", {"from": today().isoformat()}),
        ("/resume", {}),
        ("/cancel", {"effective_on": today().isoformat(), "reason": "x"}),
        ("/change", {"effective_from": today().isoformat(), "frequency": "biweekly"}),
    ):
        resp = post_form(client, console(tenant, f"/plans/{theirs['id']}{tail}"), data, token=token)
        assert resp.status_code == 404, tail
    assert _plan(client, other_tenant, theirs["id"])["status"] == "ACTIVE"


def _visits(client, tenant, plan_id):
    return sorted(
        (b for b in plan_bookings(client, tenant, plan_id) if b["status"] != "CANCELLED"),
        key=lambda b: b["occurrence_date"],
    )


def test_the_change_form_shows_the_plan_as_it_is(client, tenant):
    plan = create_plan(client, tenant, start_time="09:30")
    signed_in(client, tenant)
    page = client.get(console(tenant, f"/plans/{plan['id']}"))
    assert "Change the plan" in page.text
    assert 'id="change-start_time" name="start_time" type="time" value="09:30"' in page.text
    assert '<option value="weekly" selected>Weekly</option>' in page.text
    assert 'id="change-beds" name="beds" type="text" value="2"' in page.text


def test_a_change_from_a_date_moves_the_visits_and_shows_the_new_schedule(client, tenant):
    first = next_weekday(1)
    plan = create_plan(client, tenant, first_date=first)
    signed_in(client, tenant)
    change_from = first + timedelta(weeks=1)
    resp = _post(
        client,
        tenant,
        plan["id"],
        "/change",
        {
            "effective_from": change_from.isoformat(),
            "frequency": "biweekly",
            "start_time": "13:00",
            "team_id": "",
            "service_type": "standard",
            "beds": "2",
            "baths": "1",
        },
    )
    assert resp.status_code == 303, resp.text[:800]
    assert resp.headers["Location"].endswith("done=changed")
    view = _plan(client, tenant, plan["id"])
    assert view["frequency"] == "biweekly" and view["start_time"].startswith("13:00")
    visits = _visits(client, tenant, plan["id"])
    assert visits[0]["occurrence_date"] == first.isoformat()  # before the change: untouched
    later = [date.fromisoformat(v["occurrence_date"]) for v in visits[1:]]
    assert later and all((d - change_from).days % 14 == 0 for d in later)
    page = client.get(resp.headers["Location"])
    assert "Plan changed. The schedule below shows the next 12 weeks" in page.text
    assert "1:00 PM" in page.text  # the preview at the new time
    assert 'value="biweekly" selected' in page.text


def test_a_change_from_yesterday_is_refused_beside_the_date(client, tenant):
    plan = create_plan(client, tenant)
    signed_in(client, tenant)
    yesterday = today() - timedelta(days=1)
    body = {"frequency": "biweekly", "start_time": "09:00", "team_id": "", "beds": "2"}
    body.update(service_type="standard", baths="1")
    past = _post(
        client, tenant, plan["id"], "/change", {**body, "effective_from": yesterday.isoformat()}
    )
    assert past.status_code == 422
    assert 'id="change-effective_from-error" aria-live="polite">effective_from is before' in (
        past.text
    )
    assert 'value="biweekly" selected' in past.text  # what was typed stays
    assert _plan(client, tenant, plan["id"])["frequency"] == "weekly"
    # today itself is the first day a change may start from
    ok = _post(
        client, tenant, plan["id"], "/change", {**body, "effective_from": today().isoformat()}
    )
    assert ok.status_code == 303, ok.text[:800]
    assert _plan(client, tenant, plan["id"])["frequency"] == "biweekly"


def test_change_errors_sit_beside_their_fields(client, tenant):
    plan = create_plan(client, tenant)
    signed_in(client, tenant)
    body = {
        "effective_from": "",
        "frequency": "daily",
        "start_time": "25:00",
        "team_id": "",
        "service_type": "standard",
        "beds": "many",
        "baths": "1",
    }
    resp = _post(client, tenant, plan["id"], "/change", body)
    assert resp.status_code == 422
    for field, message in (
        ("effective_from", "Missing data"),
        ("frequency", "Must be one of"),
        ("start_time", "Not a valid time"),
        ("beds", "Not a valid integer"),
    ):
        assert f'id="change-{field}-error" aria-live="polite">{message}' in resp.text, field
    same = {**body, "effective_from": today().isoformat(), "frequency": "weekly"}
    same.update(start_time="09:00", beds="2")
    nothing = _post(client, tenant, plan["id"], "/change", same)
    assert nothing.status_code == 422 and "Nothing to change" in nothing.text


def test_a_price_change_from_the_home_details(client, tenant):
    plan = create_plan(client, tenant)
    signed_in(client, tenant)
    before = _plan(client, tenant, plan["id"])["price"]["total_before_tax_cents"]
    body = {"effective_from": today().isoformat(), "frequency": "weekly", "start_time": "09:00"}
    body.update(team_id="", service_type="standard", beds="4", baths="3")
    resp = _post(client, tenant, plan["id"], "/change", body)
    assert resp.status_code == 303, resp.text[:800]
    after = _plan(client, tenant, plan["id"])
    assert after["price"]["total_before_tax_cents"] > before
    assert after["price"]["estimate_request"]["beds"] == 4
