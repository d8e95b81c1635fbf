"""Plan conflicts in the console (SPEC §5.14, §5.10): the plan visits no team could take
(``/admin/plans/conflicts``), linked from the plans list and Today, each resolved with the API's
``/move`` (to a team at its time, or another time) or ``/skip``; errors in the visit's own row;
view reads, dispatch resolves; another workspace's visits are 404."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.console.helpers import add_member, console, csrf_of, post_form, signed_in
from tests.plans.conftest import create_plan, next_weekday, plan_bookings


def _teams(client, tenant, names, known=None) -> list[int]:
    """Active teams ``names`` working 08:00-18:00 every day (``known``: name → id of a team
    that exists already)."""
    known = known or {}
    teams = [{"id": known[n], "name": n} if n in known else {"name": n} for n in names]
    resp = client.put(tenant.url("/admin/teams"), json={"teams": teams}, headers=tenant.headers)
    assert resp.status_code == 200, resp.get_json()
    ids = [t["id"] for t in resp.get_json()["items"] if t["name"] in names and t["active"]]
    hours = [{"day_of_week": d, "start": "08:00", "end": "18:00"} for d in range(7)]
    for team_id in ids:
        resp = client.put(
            tenant.url(f"/admin/teams/{team_id}/working-hours"),
            json={"hours": hours},
            headers=tenant.headers,
        )
        assert resp.status_code == 200, resp.get_json()
    return ids


def _conflicts(client, tenant) -> list[dict]:
    resp = client.get(tenant.url("/admin/plans/conflicts"), headers=tenant.headers)
    return resp.get_json()["items"]


def _booking(client, tenant, booking_id) -> dict:
    return client.get(
        tenant.url(f"/admin/bookings/{booking_id}"), headers=tenant.headers
    ).get_json()


def _one_conflict_plan(client, tenant):
    """Team A takes the first plan; the second plan's visits wait for a team."""
    (a,) = _teams(client, tenant, ["A"])
    first = next_weekday(2)
    create_plan(client, tenant, first_date=first, team_id=a)
    waiting = create_plan(client, tenant, first_date=first, team_id=a)
    visits = sorted(plan_bookings(client, tenant, waiting["id"]), key=lambda b: b["starts_at"])
    assert visits and all(v["conflict_reason"] == "no_team_free" for v in visits)
    return a, first, waiting, visits


def _post(client, tenant, booking_id, tail, data):
    page = client.get(console(tenant, "/plans/conflicts"))
    url = console(tenant, f"/plans/conflicts/{booking_id}{tail}")
    return post_form(client, url, data, token=csrf_of(page.text))


def test_the_page_lists_the_waiting_visits_and_is_linked(client, tenant):
    _, first, waiting, visits = _one_conflict_plan(client, tenant)
    signed_in(client, tenant)
    page = client.get(console(tenant, "/plans/conflicts"))
    assert page.status_code == 200
    assert f"{len(visits)} waiting." in page.text and "No team free" in page.text
    for v in visits:
        assert f'id="conflict-{v["id"]}"' in page.text
    assert f"/console/plans/{waiting['id']}" in page.text
    assert first.strftime("%A %B %d, %Y").replace(" 0", " ") in page.text
    for where in ("/plans", "/"):
        linking = client.get(console(tenant, where))
        assert f'href="{console(tenant, "/plans/conflicts")}"' in linking.text, where
    later = client.get(console(tenant, f"/plans/conflicts?from={first + timedelta(days=1)}"))
    assert f'id="conflict-{visits[0]["id"]}"' not in later.text
    assert f"{len(visits) - 1} waiting." in later.text
    bad = client.get(console(tenant, "/plans/conflicts?from=2026-02-30"))
    assert bad.status_code == 422 and 'id="filter-from-error" aria-live="polite">Not a valid' in (
        bad.text
    )


def test_give_to_a_team_at_its_time(client, tenant):
    a, first, _, visits = _one_conflict_plan(client, tenant)
    signed_in(client, tenant)
    _, b = _teams(client, tenant, ["A", "B"], {"A": a})
    busy = _post(client, tenant, visits[0]["id"], "/assign", {"team_id": str(a)})
    assert busy.status_code == 409  # team A has the other plan then: the API's message
    assert 'class="notice error-box" role="alert"' in busy.text
    assert _booking(client, tenant, visits[0]["id"])["team_id"] is None
    ok = _post(client, tenant, visits[0]["id"], "/assign", {"team_id": str(b)})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("done=assigned")
    view = _booking(client, tenant, visits[0]["id"])
    assert (view["team_id"], view["status"], view["conflict_reason"]) == (b, "CONFIRMED", None)
    assert view["starts_at"] == visits[0]["starts_at"]  # same time
    first_free = _post(client, tenant, visits[1]["id"], "/assign", {"team_id": ""})
    assert first_free.status_code == 303
    assert _booking(client, tenant, visits[1]["id"])["team_id"] == b
    page = client.get(ok.headers["Location"])
    assert "The visit has a team now." in page.text
    assert f'id="conflict-{visits[0]["id"]}"' not in page.text


def test_move_to_another_time_with_errors_in_its_row(client, tenant):
    a, first, _, visits = _one_conflict_plan(client, tenant)
    signed_in(client, tenant)
    bid = visits[0]["id"]
    bad = _post(
        client, tenant, bid, "/move", {"date": first.isoformat(), "time": "25:61", "team_id": ""}
    )
    assert bad.status_code == 422
    assert re.search(rf'id="c{bid}-move-time-error" aria-live="polite">\S', bad.text)
    other = visits[1]["id"]
    assert f'id="c{other}-move-time-error" aria-live="polite"></p>' in bad.text
    moved = _post(
        client,
        tenant,
        bid,
        "/move",
        {"date": first.isoformat(), "time": "14:00", "team_id": str(a)},
    )
    assert moved.status_code == 303 and moved.headers["Location"].endswith("done=moved")
    view = _booking(client, tenant, bid)
    assert (view["team_id"], view["status"], view["conflict_reason"]) == (a, "CONFIRMED", None)


def test_skip_a_waiting_visit(client, tenant):
    _, _, _, visits = _one_conflict_plan(client, tenant)
    signed_in(client, tenant)
    resp = _post(client, tenant, visits[0]["id"], "/skip", {"reason": "On holiday"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("done=skipped")
    assert _booking(client, tenant, visits[0]["id"])["status"] == "SKIPPED"
    again = _post(client, tenant, visits[0]["id"], "/skip", {})
    assert again.status_code == 409  # the API's invalid transition, as a message
    long = _post(client, tenant, visits[1]["id"], "/skip", {"reason": "x" * 501})
    assert long.status_code == 422
    assert f'id="c{visits[1]["id"]}-skip-reason-error" aria-live="polite">Longer' in long.text


def test_a_viewer_sees_the_page_but_cannot_resolve(client, runtime, tenant):
    _, _, _, visits = _one_conflict_plan(client, tenant)
    signed_in(client, tenant, add_member(runtime, tenant, "viewer"))
    page = client.get(console(tenant, "/plans/conflicts"))
    assert page.status_code == 200
    for tail, data in (("/assign", {}), ("/move", {"time": "14:00"}), ("/skip", {})):
        resp = post_form(
            client,
            console(tenant, f"/plans/conflicts/{visits[0]['id']}{tail}"),
            data,
            token=csrf_of(page.text),
        )
        assert resp.status_code == 403 and "dispatch permission" in resp.text, tail
    assert _booking(client, tenant, visits[0]["id"])["status"] == "PENDING"


def test_another_workspaces_visit_is_a_404(client, tenant, other_tenant):
    _, first, _, theirs = _one_conflict_plan(client, other_tenant)
    assert not _conflicts(client, tenant)
    token = signed_in(client, tenant)
    page = client.get(console(tenant, "/plans/conflicts"))
    assert f'id="conflict-{theirs[0]["id"]}"' not in page.text
    for tail, data in (
        ("/assign", {}),
        ("/move", {"date": first.isoformat(), "time": "14:00"}),
        ("/skip", {}),
    ):
        url = console(tenant, f"/plans/conflicts/{theirs[0]['id']}{tail}")
        resp = post_form(client, url, data, token=token)
        assert resp.status_code == 404, tail
    assert _booking(client, other_tenant, theirs[0]["id"])["status"] == "PENDING"


def test_the_page_shows_fifty_and_links_the_rest(client, tenant):
    (a,) = _teams(client, tenant, ["A"])
    first = next_weekday(2)
    create_plan(client, tenant, first_date=first, team_id=a)
    while len(_conflicts(client, tenant)) <= 50:
        create_plan(client, tenant, first_date=first, team_id=a)
    total = len(_conflicts(client, tenant))
    signed_in(client, tenant)
    page = client.get(console(tenant, "/plans/conflicts"))
    assert page.text.count('class="card conflict"') == 50
    nxt = re.search(r'href="([^"]+start=50[^"]*)" rel="next"', page.text)
    assert nxt and f"{total} waiting." in page.text
    rest = client.get(nxt.group(1).replace("&amp;", "&"))
    assert rest.text.count('class="card conflict"') == total - 50
    assert 'rel="next"' not in rest.text and "Back to the first page" in rest.text
