"""Plans over HTTP (SPEC §5.10): creation, materialisation, schedule, conflicts."""

from __future__ import annotations

from datetime import date, timedelta

from tests.plans.conftest import create_plan, next_weekday, plan_bookings, today


def test_weekly_plan_materialises_visits_up_to_the_horizon(client, tenant):
    first = next_weekday(1)
    plan = create_plan(client, tenant, first_date=first)
    assert plan["status"] == "ACTIVE"
    assert plan["rrule"].endswith("RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU")
    assert plan["time_zone"] == "America/Edmonton"
    assert plan["price"]["total_before_tax_cents"] == 9450  # 2 bd/1 ba weekly: 105.00 − 10 %
    horizon = today() + timedelta(days=56)
    visits = plan_bookings(client, tenant, plan["id"])
    dates = sorted(v["occurrence_date"] for v in visits)
    expected = []
    d = first
    while d <= horizon:
        expected.append(d.isoformat())
        d += timedelta(days=7)
    assert dates == expected
    for v in visits:
        assert v["status"] == "CONFIRMED"
        assert v["total_cents"] == 9450
        assert v["starts_at_local"].endswith(("T09:00:00-07:00", "T09:00:00-06:00"))
    assert len(plan["upcoming"]) == 10
    assert plan["upcoming"][0]["date"] == first.isoformat()


def _teams(client, tenant, names):
    resp = client.put(
        tenant.url("/admin/teams"),
        json={"teams": [{"name": n} for n in names]},
        headers=tenant.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    items = resp.get_json()["items"]
    ids = [t["id"] for t in items if t["name"] in names and t["active"]]
    hours = [{"day_of_week": d, "start": "09:00", "end": "18:00"} for d in range(7)]
    for team_id in ids:
        resp = client.put(
            tenant.url(f"/admin/teams/{team_id}/working-hours"),
            json={"hours": hours},
            headers=tenant.headers,
        )
        assert resp.status_code == 200, resp.get_json()
    return ids


def _schedule(client, tenant, plan_id, start, end):
    resp = client.get(
        tenant.url(f"/admin/plans/{plan_id}/schedule?from={start}&to={end}"),
        headers=tenant.headers,
    )
    return resp


def test_first_date_before_today_is_422(client, tenant):
    body = create_plan(client, tenant, first_date=today() - timedelta(days=1), expect=422)
    assert body["errors"][0]["field"] == "first_date"
    create_plan(client, tenant, first_date=today() + timedelta(days=1))  # tomorrow is fine


def test_replaying_the_idempotency_key_creates_one_plan(client, tenant):
    from tests.plans.conftest import make_customer

    customer = make_customer(client, tenant)
    first = create_plan(client, tenant, key="plan-1", customer_id=customer)
    again = create_plan(client, tenant, key="plan-1", customer_id=customer)
    assert again["id"] == first["id"]
    listed = client.get(tenant.url("/admin/plans"), headers=tenant.headers).get_json()
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    other = create_plan(
        client, tenant, key="plan-1", customer_id=customer, start_time="10:00", expect=409
    )
    assert other["code"] == "idempotency_key_reused"


def test_schedule_preview_equals_what_is_materialised(client, tenant):
    plan = create_plan(client, tenant, frequency="biweekly")
    resp = _schedule(client, tenant, plan["id"], today(), today() + timedelta(days=57))
    assert resp.status_code == 200, resp.get_json()
    items = resp.get_json()["items"]
    visits = {v["occurrence_date"]: v for v in plan_bookings(client, tenant, plan["id"])}
    assert [i["date"] for i in items] == sorted(visits)
    for item in items:
        assert item["state"] == "booked"
        assert item["booking_id"] == visits[item["date"]]["id"]
        assert item["starts_at"] == visits[item["date"]]["starts_at"]


def test_schedule_preview_is_limited_to_400_days(client, tenant):
    plan = create_plan(client, tenant)
    assert (
        _schedule(client, tenant, plan["id"], today(), today() + timedelta(days=400)).status_code
        == 200
    )
    resp = _schedule(client, tenant, plan["id"], today(), today() + timedelta(days=401))
    assert resp.status_code == 422


def test_schedule_keeps_local_time_across_spring_forward(client, tenant):
    plan = create_plan(client, tenant, first_date=next_weekday(1))
    year = today().year + (1 if today().month > 3 else 0)
    items = _schedule(client, tenant, plan["id"], f"{year}-03-01", f"{year}-04-01").get_json()[
        "items"
    ]
    assert len(items) in (4, 5)
    for item in items:
        assert item["starts_at_local"][11:19] == "09:00:00"
        day = item["date"]
        # MST (−07:00) before the second Sunday of March, MDT (−06:00) after
        assert item["starts_at"][11:16] == (
            "16:00" if item["starts_at_local"].endswith("-07:00") else "15:00"
        )
        assert item["state"] in ("planned", "booked"), day


def test_monthly_plan_on_a_fifth_weekday_means_last(client, tenant):
    # the first day 29-31 at least a week ahead
    day = today() + timedelta(days=7)
    while day.day < 29:
        day += timedelta(days=1)
    plan = create_plan(client, tenant, frequency="monthly", first_date=day)
    wd = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][day.weekday()]
    assert plan["rrule"].endswith(f"FREQ=MONTHLY;BYDAY=-1{wd}")
    items = _schedule(client, tenant, plan["id"], day, day + timedelta(days=370)).get_json()[
        "items"
    ]
    for item in items:
        d = date.fromisoformat(item["date"])
        assert d.weekday() == day.weekday() and (d + timedelta(days=7)).month != d.month


def test_busy_team_gives_another_team_and_every_team_busy_gives_a_conflict(client, tenant):
    a, b = _teams(client, tenant, ["A", "B"])
    first = next_weekday(2)
    p1 = create_plan(client, tenant, first_date=first, team_id=a)
    p2 = create_plan(client, tenant, first_date=first, team_id=a)
    p3 = create_plan(client, tenant, first_date=first, team_id=a)
    v1 = plan_bookings(client, tenant, p1["id"])[0]
    v2 = plan_bookings(client, tenant, p2["id"])[0]
    v3 = plan_bookings(client, tenant, p3["id"])[0]
    assert (v1["team_id"], v1["flags"], v1["status"]) == (a, [], "CONFIRMED")
    assert (v2["team_id"], v2["flags"], v2["status"]) == (b, ["team_changed"], "CONFIRMED")
    assert (v3["team_id"], v3["status"], v3["conflict_reason"]) == (None, "PENDING", "no_team_free")
    assert v3["deposit"]["required"] is False
    conflicts = client.get(tenant.url("/admin/plans/conflicts"), headers=tenant.headers).get_json()
    listed = {c["booking_id"]: c["reason"] for c in conflicts["items"]}
    assert listed[v3["id"]] == "no_team_free"
    assert v1["id"] not in listed and v2["id"] not in listed
    day = client.get(tenant.url(f"/admin/schedule?day={first}"), headers=tenant.headers).get_json()
    assert [u["booking_id"] for u in day["unassigned"]] == [v3["id"]]
    assert day["unassigned"][0]["conflict_reason"] == "no_team_free"
    # dispatch moves the conflict visit to a free time: it is confirmed and detached
    moved = client.post(
        tenant.url(f"/admin/bookings/{v3['id']}/move"),
        json={"starts_at": f"{first}T14:00:00", "team_id": a},
        headers=tenant.headers,
    )
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["status"], moved.get_json()["conflict_reason"]) == ("CONFIRMED", None)


def test_blackout_and_outside_hours_are_conflict_reasons(client, tenant):
    (team,) = _teams(client, tenant, ["Only"])
    first = next_weekday(2)
    resp = client.post(
        tenant.url("/admin/blackouts"),
        json={"starts_at": f"{first}T08:00:00", "ends_at": f"{first}T13:00:00", "reason": "x"},
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    p = create_plan(client, tenant, first_date=first, team_id=team)
    visits = sorted(plan_bookings(client, tenant, p["id"]), key=lambda v: v["occurrence_date"])
    assert (visits[0]["team_id"], visits[0]["conflict_reason"]) == (None, "blackout")
    assert visits[1]["status"] == "CONFIRMED"  # the next week is free
    late = create_plan(client, tenant, first_date=first, start_time="19:00")
    assert {v["conflict_reason"] for v in plan_bookings(client, tenant, late["id"])} == {
        "outside_hours"
    }
