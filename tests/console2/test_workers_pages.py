"""Workers in the console (SPEC §5.14, §5.5): the list with its pages, a new worker, one worker
(edit, invite again), the teams with their members, the timesheets and their CSV — the API's
services, rules and permissions (``dispatch`` for workers and teams, ``finance`` for
timesheets); another workspace's ids are 404 pages."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import update

from tenantapp.console import workers as worker_pages
from tenantapp.workers.models import Worker
from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.office.helpers import in_tenant
from tests.office.test_timesheets import add_booking, add_worker, clock, local
from tests.workforce.helpers import add_team, create_worker, default_team_id

FORM = {
    "name": "Robin Vale",
    "email": "robin@example.com",
    "phone": "+1 403 555 0101",
    "team_id": "",
    "skills": "windows, ovens",
    "pay_type": "hourly",
    "hourly_rate": "22.50",
    "pay_flat": "",
    "pay_percent": "0",
    "active": "1",
}


def _api_worker(client, tenant, worker_id):
    resp = client.get(tenant.url(f"/admin/workers/{worker_id}"), headers=tenant.headers)
    assert resp.status_code == 200
    return resp.get_json()


def _new(client, tenant, **fields):
    token = csrf_of(client.get(console(tenant, "/workers/new")).text)
    return post_form(client, console(tenant, "/workers/new"), {**FORM, **fields}, token=token)


def test_the_list_pages_by_fifty_and_filters(client, runtime, tenant):
    ids = [add_worker(runtime, tenant, f"Worker {n:02d}") for n in range(51)]
    with in_tenant(runtime, tenant) as sess:
        sess.execute(update(Worker).where(Worker.id == ids[0]).values(active=False))
        sess.commit()
    signed_in(client, tenant)
    first = client.get(console(tenant, "/workers"))
    assert first.status_code == 200
    assert first.text.count("/console/workers/") - first.text.count("/console/workers/new") >= 50
    assert "Worker 49" in first.text and "Worker 50" not in first.text
    assert "Next page" in first.text and "Not invited" in first.text
    nxt = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(nxt.replace("&amp;", "&"))
    assert "Worker 50" in second.text and "Worker 49" not in second.text
    assert "Back to the first page" in second.text and "Next page" not in second.text
    inactive = client.get(console(tenant, "/workers?active=no"))
    assert "Worker 00" in inactive.text and "Worker 01" not in inactive.text
    bad = client.get(console(tenant, "/workers?team_id=abc"))
    assert bad.status_code == 422 and 'id="filter-team_id-error" aria-live="polite">' in bad.text


def test_permissions_are_the_apis(client, runtime, tenant):
    # /admin/workers: dispatch (reading too); /admin/timesheets: finance.
    expected = {
        "viewer": (403, 403),
        "dispatcher": (200, 403),
        "finance": (403, 200),
        "owner": (200, 200),
    }
    for role, (workers_status, sheets_status) in expected.items():
        email = None if role == "owner" else add_member(runtime, tenant, role)
        token = signed_in(client, tenant, email)
        page = client.get(console(tenant, "/workers"))
        assert page.status_code == workers_status, role
        if workers_status == 403:
            assert "dispatch permission" in page.text
        assert client.get(console(tenant, "/workers/teams")).status_code == workers_status, role
        assert client.get(console(tenant, "/workers/new")).status_code == workers_status, role
        assert client.get(console(tenant, "/workers/timesheets")).status_code == sheets_status
        csv_status = client.get(console(tenant, "/workers/timesheets.csv")).status_code
        assert csv_status == sheets_status, role
        post_form(client, console(tenant, "/logout"), {}, token=token)


def test_a_viewer_cannot_create_a_worker(client, runtime, tenant):
    token = signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    resp = post_form(client, console(tenant, "/workers/new"), FORM, token=token)
    assert resp.status_code == 403 and "dispatch permission" in resp.text
    listed = client.get(tenant.url("/admin/workers"), headers=tenant.headers).get_json()
    assert listed["items"] == []


def test_new_worker_errors_beside_fields_then_created_and_invited(client, tenant):
    signed_in(client, tenant)
    bad = _new(client, tenant, name="", email="not-an-email", hourly_rate="abc", pay_percent="101")
    assert bad.status_code == 422
    for field in ("name", "email", "hourly_rate", "pay_percent"):
        error = bad.text.split(f'id="f-{field}-error" aria-live="polite">')[1].split("<")[0]
        assert error, field
    assert "Enter an amount like 25 or 25.50." in bad.text
    assert 'value="not-an-email"' in bad.text  # what was typed is kept
    done = _new(client, tenant, team_id=str(default_team_id(client, tenant)))
    assert done.status_code == 303, done.text[:500]
    page = client.get(done.headers["Location"])
    assert "the invitation went to robin@example.com" in page.text
    worker_id = int(done.headers["Location"].split("/workers/")[1].split("?")[0])
    view = _api_worker(client, tenant, worker_id)
    assert view["hourly_rate_cents"] == 2250 and view["skills"] == ["windows", "ovens"]
    assert view["invite_pending"] is True and view["email"] == "robin@example.com"
    listed = client.get(console(tenant, "/workers"))
    assert "Invited, link valid until" in listed.text and "Not invited" not in listed.text
    again = _new(client, tenant, name="Robin Two")
    assert again.status_code == 409 and "already exists" in again.text


def test_pay_percent_boundary_is_100(client, tenant):
    signed_in(client, tenant)
    over = _new(client, tenant, pay_type="percent", pay_percent="100.01")
    assert over.status_code == 422
    assert 'id="f-pay_percent-error" aria-live="polite">Must' in over.text
    ok = _new(client, tenant, pay_type="percent", pay_percent="100")
    assert ok.status_code == 303


def test_edit_a_worker_and_invite_again(client, tenant):
    worker = create_worker(client, tenant, name="Kim Lee", phone="+1 403 555 0199").get_json()
    token = signed_in(client, tenant)
    url = console(tenant, f"/workers/{worker['id']}")
    page = client.get(url)
    assert page.status_code == 200 and 'value="Kim Lee"' in page.text
    assert "Invited, link valid until" in page.text
    bad = post_form(client, url, {**FORM, "email": "kim@example.com", "name": ""}, token=token)
    assert bad.status_code == 422 and 'id="f-name-error" aria-live="polite">' in bad.text
    assert _api_worker(client, tenant, worker["id"])["name"] == "Kim Lee"
    form = {**FORM, "name": "Kim Lee-Park", "email": "kim@example.com", "phone": ""}
    saved = post_form(client, url, form, token=token)
    assert saved.status_code == 303
    view = _api_worker(client, tenant, worker["id"])
    assert (view["name"], view["phone"], view["email"]) == ("Kim Lee-Park", None, "kim@example.com")
    invited = post_form(client, url + "/invite", {}, token=token)
    assert invited.status_code == 303
    assert (
        "A new invitation went to kim@example.com" in client.get(invited.headers["Location"]).text
    )
    off = post_form(client, url, {**form, "active": ""}, token=token)
    assert off.status_code == 303 and _api_worker(client, tenant, worker["id"])["active"] is False
    refused = post_form(client, url + "/invite", {}, token=token)
    assert refused.status_code == 409 and "Reactivate the worker" in refused.text


def test_teams_show_members_and_a_worker_moves(client, tenant):
    home = default_team_id(client, tenant)
    other = add_team(client, tenant, "Team North")
    worker = create_worker(client, tenant, name="Ari Moss", team_id=home).get_json()
    token = signed_in(client, tenant)
    page = client.get(console(tenant, "/workers/teams"))
    assert page.status_code == 200 and "Team North" in page.text and "Ari Moss" in page.text
    move = console(tenant, f"/workers/{worker['id']}/team")
    moved = post_form(client, move, {"team_id": str(other)}, token=token)
    assert moved.status_code == 303
    assert _api_worker(client, tenant, worker["id"])["team_id"] == other
    assert "Team changed." in client.get(moved.headers["Location"]).text
    unknown = post_form(client, move, {"team_id": "999999"}, token=token)
    assert unknown.status_code == 422 and "No such team." in unknown.text
    none = post_form(client, move, {"team_id": ""}, token=token)
    assert none.status_code == 303 and _api_worker(client, tenant, worker["id"])["team_id"] is None


def test_ticked_workers_move_to_a_team_together(client, runtime, tenant, other_tenant):
    home = default_team_id(client, tenant)
    north = add_team(client, tenant, "Team North")
    ids = [
        create_worker(client, tenant, name=f"Crew {n}", team_id=home).get_json()["id"]
        for n in range(3)
    ]
    token = signed_in(client, tenant)
    page = client.get(console(tenant, "/workers/teams"))
    assert page.text.count('form="teams-bulk"') == 3 and "Move ticked workers" in page.text
    url = console(tenant, "/workers/teams/bulk")
    moved = post_form(
        client, url, {"ids": [str(i) for i in ids[:2]], "team_id": str(north)}, token=token
    )
    assert moved.status_code == 200 and "2 of 2 done." in moved.text
    assert [_api_worker(client, tenant, i)["team_id"] for i in ids] == [north, north, home]
    # nobody ticked: the message beside the list, nothing moved
    empty = post_form(client, url, {"team_id": str(home)}, token=token)
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    assert [_api_worker(client, tenant, i)["team_id"] for i in ids] == [north, north, home]
    # a team deleted meanwhile: each worker says why, by name
    gone = post_form(client, url, {"ids": [str(ids[2])], "team_id": "999999"}, token=token)
    assert gone.status_code == 200 and "0 of 1 done." in gone.text
    assert "<li>Crew 2: team_id: No such team.</li>" in gone.text
    # another workspace's worker ids are not found, one result each
    theirs = create_worker(client, other_tenant, name="Not Mine").get_json()["id"]
    foreign = post_form(client, url, {"ids": [str(theirs + 1000)], "team_id": ""}, token=token)
    assert foreign.status_code == 200 and "0 of 1 done." in foreign.text
    assert "No such worker." in foreign.text
    # a viewer cannot move anyone (the API's dispatch permission)
    post_form(client, console(tenant, "/logout"), {}, token=token)
    viewer = signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    refused = post_form(client, url, {"ids": [str(ids[2])], "team_id": str(north)}, token=viewer)
    assert refused.status_code == 403
    assert _api_worker(client, tenant, ids[2])["team_id"] == home


def test_another_workspaces_worker_is_a_404(client, tenant, other_tenant):
    team = default_team_id(client, other_tenant)
    for n in range(3):
        theirs = create_worker(client, other_tenant, name=f"Not Yours {n}", team_id=team).get_json()
    create_worker(client, tenant, name="Mine")  # ids are per workspace: theirs #3 is not here
    token = signed_in(client, tenant)
    url = console(tenant, f"/workers/{theirs['id']}")
    assert client.get(url).status_code == 404
    assert post_form(client, url, FORM, token=token).status_code == 404
    assert post_form(client, url + "/invite", {}, token=token).status_code == 404
    assert post_form(client, url + "/team", {"team_id": ""}, token=token).status_code == 404
    view = _api_worker(client, other_tenant, theirs["id"])
    assert (view["name"], view["team_id"]) == ("Not Yours 2", team)


def _week_with_time(client, runtime, tenant):
    """Two workers with a clocked job on Monday 2026-11-02 (America/Edmonton)."""
    start = local("2026-11-02T09:00")
    ana = add_worker(runtime, tenant, "Ana Hourly", hourly_rate_cents=123456)
    ben = add_worker(runtime, tenant, "Ben Flat", pay_type="flat", pay_flat_cents=5000)
    booking = add_booking(client, runtime, tenant, start, 120, [ana, ben], status="DONE")
    clock(runtime, tenant, booking, ana, start, 60)
    clock(runtime, tenant, booking, ben, start, 90)
    return ana, ben


def test_timesheets_per_worker_and_the_csv(client, runtime, tenant):
    _week_with_time(client, runtime, tenant)
    signed_in(client, tenant)
    query = "?from=2026-11-02&to=2026-11-09"
    page = client.get(console(tenant, "/workers/timesheets" + query))
    assert page.status_code == 200
    assert "Ana Hourly" in page.text and "Ben Flat" in page.text
    assert "1,234.56" in page.text and "1:30" in page.text and "2:00" in page.text
    assert "timesheets.csv?from=2026-11-02&amp;to=2026-11-09" in page.text
    resp = client.get(console(tenant, "/workers/timesheets.csv" + query))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    disposition = resp.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="timesheets-2026-11-02-2026-11-09.csv"'
    api = client.get(
        tenant.url("/admin/timesheets"),
        query_string={"from": "2026-11-02", "to": "2026-11-09", "format": "csv"},
        headers=tenant.headers,
    )
    assert resp.text == api.get_data(as_text=True)  # the API's CSV, byte for byte
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    ana = next(r for r in rows if r["worker_name"] == "Ana Hourly")
    assert ana["pay_cents"] == "123456" and ana["clocked_minutes"] == "60"  # no "1,234.56"
    ben = next(r for r in rows if r["worker_name"] == "Ben Flat")
    assert (ben["pay_type"], ben["pay_cents"], ben["jobs"]) == ("flat", "5000", "1")


def test_timesheet_period_boundary_is_93_days(client, tenant):
    signed_in(client, tenant)
    ok = client.get(console(tenant, "/workers/timesheets?from=2026-01-01&to=2026-04-04"))
    assert ok.status_code == 200  # 93 days
    over = client.get(console(tenant, "/workers/timesheets?from=2026-01-01&to=2026-04-05"))
    assert over.status_code == 422
    assert 'id="filter-to-error" aria-live="polite">at most 93 days' in over.text
    assert "Download CSV" not in over.text
    backwards = client.get(console(tenant, "/workers/timesheets?from=2026-01-02&to=2026-01-01"))
    assert backwards.status_code == 422 and "to must be after from" in backwards.text
    csv_over = client.get(console(tenant, "/workers/timesheets.csv?from=2026-01-01&to=2026-04-05"))
    assert csv_over.status_code == 422


def test_timesheets_page_by_worker(client, runtime, tenant, monkeypatch):
    monkeypatch.setattr(worker_pages, "SHEETS_PAGE", 1)
    _week_with_time(client, runtime, tenant)
    signed_in(client, tenant)
    first = client.get(console(tenant, "/workers/timesheets?from=2026-11-02&to=2026-11-09"))
    assert ">Ana Hourly</h2>" in first.text and ">Ben Flat</h2>" not in first.text
    assert "page=2" in first.text
    second = client.get(console(tenant, "/workers/timesheets?from=2026-11-02&to=2026-11-09&page=2"))
    assert ">Ben Flat</h2>" in second.text and ">Ana Hourly</h2>" not in second.text
    assert "Back to the first page" in second.text


def _worker_options(html: str) -> list[str]:
    select = html[
        html.index('name="worker_id"') : html.index("</select>", html.index('name="worker_id"'))
    ]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_worker_filter_offers_the_periods_workers(client, runtime, tenant):
    ana, _ben = _week_with_time(client, runtime, tenant)
    idle = add_worker(runtime, tenant, "Cy Idle")  # no time in the week
    signed_in(client, tenant)
    week = "?from=2026-11-02&to=2026-11-09"
    page = client.get(console(tenant, "/workers/timesheets" + week))
    assert _worker_options(page.text) == ["Everyone", "Ana Hourly", "Ben Flat"]
    # the week after: nobody had time, so nobody but "Everyone" is offered
    later = client.get(console(tenant, "/workers/timesheets?from=2026-11-09&to=2026-11-16"))
    assert _worker_options(later.text) == ["Everyone"]
    # a chosen worker stays chosen even with no time, and the sheet says there is none
    chosen = client.get(console(tenant, f"/workers/timesheets{week}&worker_id={idle}"))
    assert _worker_options(chosen.text) == ["Everyone", "Ana Hourly", "Ben Flat", "Cy Idle"]
    assert f'<option value="{idle}" selected' in chosen.text
    assert "Ana Hourly</h2>" not in chosen.text
    one = client.get(console(tenant, f"/workers/timesheets{week}&worker_id={ana}"))
    assert ">Ana Hourly</h2>" in one.text and ">Ben Flat</h2>" not in one.text


def test_the_teams_board_pages_by_workers(client, runtime, tenant, monkeypatch):
    monkeypatch.setattr(worker_pages, "TEAM_PAGE", 1)
    for name in ("First Worker", "Second Worker"):
        add_worker(runtime, tenant, name)
    signed_in(client, tenant)
    first = client.get(console(tenant, "/workers/teams"))
    assert "First Worker" in first.text and "Second Worker" not in first.text
    nxt = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(nxt.replace("&amp;", "&"))
    assert "Second Worker" in second.text and "First Worker" not in second.text
    assert "Back to the first page" in second.text
