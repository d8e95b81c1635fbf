"""Settings → Hours and blackouts: a team's week (``PUT working-hours``) with errors beside the
weekday, blackouts added in local time and deleted, other workspaces' teams and blackouts 404."""

from __future__ import annotations

from datetime import date, timedelta

from tests.console.helpers import console, post_form, signed_in
from tests.console2.test_settings_pages import api, error_of


def _team(client, tenant) -> int:
    return api(client, tenant, "/admin/teams")["items"][0]["id"]


def _hours(client, tenant, team_id):
    return api(client, tenant, f"/admin/teams/{team_id}/working-hours")["hours"]


def test_a_teams_week_is_saved_with_errors_beside_the_day(client, tenant):
    team_id = _team(client, tenant)
    token = signed_in(client, tenant)
    page = client.get(console(tenant, f"/settings/hours?team={team_id}"))
    assert page.status_code == 200 and 'id="h-start_0"' in page.text
    url = console(tenant, f"/settings/hours/{team_id}")
    bad = post_form(
        client,
        url,
        {"start_0": "09:00", "end_0": "17:00", "start_2": "18:00", "end_2": "08:00"},
        token=token,
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "h-end_2") == "end must be after start"
    assert error_of(bad.text, "h-end_0") == ""
    ok = post_form(
        client,
        url,
        {"start_0": "08:30", "end_0": "16:00", "start_5": "10:00", "end_5": "14:00"},
        token=token,
    )
    assert ok.status_code == 303, ok.text[:500]
    assert _hours(client, tenant, team_id) == [
        {"day_of_week": 0, "start": "08:30", "end": "16:00"},
        {"day_of_week": 5, "start": "10:00", "end": "14:00"},
    ]
    shown = client.get(ok.headers["Location"]).text
    assert "Working hours saved." in shown and 'value="08:30"' in shown
    missing = post_form(client, url, {"start_1": "09:00"}, token=token)
    assert missing.status_code == 422
    assert error_of(missing.text, "h-end_1") == "Missing data for required field."


def test_blackouts_in_local_time_added_listed_and_deleted(client, tenant):
    team_id = _team(client, tenant)
    token = signed_in(client, tenant)
    day = date.today() + timedelta(days=10)
    url = console(tenant, "/settings/blackouts")
    backwards = post_form(
        client, url, {"starts_at": f"{day}T12:00", "ends_at": f"{day}T09:00"}, token=token
    )
    assert backwards.status_code == 422
    assert error_of(backwards.text, "b-ends_at") == "ends_at must be after starts_at"
    added = post_form(
        client,
        url,
        {
            "team_id": str(team_id),
            "starts_at": f"{day}T09:00",
            "ends_at": f"{day}T13:30",
            "reason": "Training",
        },
        token=token,
    )
    assert added.status_code == 303, added.text[:500]
    (row,) = api(client, tenant, "/admin/blackouts")["items"]
    zone = api(client, tenant, "/admin/settings")["time_zone"]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local = datetime.fromisoformat(row["starts_at"].replace("Z", "+00:00")).astimezone(
        ZoneInfo(zone)
    )
    assert local.strftime("%Y-%m-%d %H:%M") == f"{day} 09:00" and row["team_id"] == team_id
    page = client.get(console(tenant, "/settings/hours"))
    assert f"{day} 09:00" in page.text and f"{day} 13:30" in page.text and "Training" in page.text
    gone = post_form(
        client, console(tenant, f"/settings/blackouts/{row['id']}/delete"), {}, token=token
    )
    assert gone.status_code == 303
    assert api(client, tenant, "/admin/blackouts")["items"] == []


def test_blackouts_page_by_twenty(client, tenant):
    token = signed_in(client, tenant)
    start = date.today() + timedelta(days=3)
    for n in range(21):
        day = start + timedelta(days=n)
        resp = post_form(
            client,
            console(tenant, "/settings/blackouts"),
            {"starts_at": f"{day}T09:00", "ends_at": f"{day}T10:00"},
            token=token,
        )
        assert resp.status_code == 303
    first = client.get(console(tenant, "/settings/hours")).text
    assert first.count("/delete") == 20 and 'rel="next"' in first
    second = client.get(console(tenant, "/settings/hours?page=2")).text
    assert second.count("/delete") == 1 and f"{start + timedelta(days=20)} 09:00" in second


def test_another_workspaces_team_and_blackout_are_404(client, tenant, other_tenant):
    names = [{"name": f"Crew {n}"} for n in range(4)]
    teams = client.put(
        other_tenant.url("/admin/teams"), json={"teams": names}, headers=other_tenant.headers
    )
    assert teams.status_code == 200
    theirs = max(t["id"] for t in teams.get_json()["items"])
    assert theirs not in {t["id"] for t in api(client, tenant, "/admin/teams")["items"]}
    day = date.today() + timedelta(days=5)
    for _ in range(3):
        made = client.post(
            other_tenant.url("/admin/blackouts"),
            json={"starts_at": f"{day}T09:00:00", "ends_at": f"{day}T10:00:00"},
            headers=other_tenant.headers,
        )
        assert made.status_code == 201
    blackout = made.get_json()["id"]
    token = signed_in(client, tenant)
    assert blackout not in {b["id"] for b in api(client, tenant, "/admin/blackouts")["items"]}
    assert client.get(console(tenant, f"/settings/hours?team={theirs}")).status_code == 404
    week = post_form(
        client,
        console(tenant, f"/settings/hours/{theirs}"),
        {"start_0": "09:00", "end_0": "10:00"},
        token=token,
    )
    assert week.status_code == 404 and "belongs to another workspace" in week.text
    gone = post_form(
        client, console(tenant, f"/settings/blackouts/{blackout}/delete"), {}, token=token
    )
    assert gone.status_code == 404
    other = post_form(
        client,
        console(tenant, "/settings/blackouts"),
        {"team_id": str(theirs), "starts_at": f"{day}T09:00", "ends_at": f"{day}T10:00"},
        token=token,
    )
    assert other.status_code == 404
    assert len(api(client, other_tenant, "/admin/blackouts")["items"]) == 3
    assert api(client, tenant, "/admin/blackouts")["items"] == []
